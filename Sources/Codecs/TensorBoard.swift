import Foundation

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TensorFlow's record files.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The record format's masked CRC: rotated right by 15 bits plus a constant, so that a CRC of data that
    /// holds CRCs is not itself a plain CRC.
    public static func masked<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// A TensorBoard event file (`events.out.tfevents.<time>.<host>`): TFRecord framing (length, masked CRC-32C
/// of the length, the serialized `Event`, masked CRC-32C of it), each record written and flushed as it
/// comes, so `tensorboard --logdir` follows a run live. Events: a first one with `file_version`
/// "brain.Event:2", then summaries of scalars (`simple_value`) and PNG images.
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates a new event file in `folder` (made if missing): one per writer, named as TensorFlow names them.
    public init(folder: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        var name = "events.out.tfevents.\(Int(wallTime)).\(host)", k = 1
        while FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name)) {
            name = "events.out.tfevents.\(Int(wallTime)).\(host).\(k)"; k += 1
        }
        path = (folder as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CodecError(path: path, message: "cannot be created: check the folder's permissions and free space")
        }
        self.handle = handle
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        try write(record: event.bytes)
    }

    deinit { try? handle.close() }

    /// Scalars at `step`, one summary value each (tag, value).
    public func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        try summary(step: step, wallTime: wallTime) { s in
            for (tag, value) in values {
                s.message(1) { v in v.string(1, tag); v.float(2, Float(value)) }
            }
        }
    }

    /// A PNG image (its file's bytes) at `step`.
    public func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int,
                      wallTime: Double = Date().timeIntervalSince1970) throws {
        try summary(step: step, wallTime: wallTime) { s in
            s.message(1) { v in
                v.string(1, tag)
                v.message(4) { i in i.int(1, height); i.int(2, width); i.int(3, channels); i.bytes(4, png) }
            }
        }
    }

    private func summary(step: Int, wallTime: Double, _ build: (inout ProtobufWriter) -> Void) throws {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int(2, step)
        event.message(5, build)
        try write(record: event.bytes)
    }

    /// One TFRecord: uint64 length, masked CRC of those 8 bytes, the data, masked CRC of the data (little-endian).
    public static func record(_ data: [UInt8]) -> [UInt8] {
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        return length + le(CRC32C.masked(length)) + data + le(CRC32C.masked(data))
    }

    private func write(record data: [UInt8]) throws {
        let end = handle.offsetInFile
        do {
            try handle.write(contentsOf: Data(Self.record(data)))
        } catch {
            try? handle.truncate(atOffset: end)   // no half record: readers stop at one
            throw CodecError(path: path, message: "could not be appended to (\(error.localizedDescription)): free disk space")
        }
    }
}

/// Reads event files back (for tests and checks): every record's two CRCs verified, the events decoded.
public enum TensorBoardReader {
    public struct Value: Sendable {
        public let tag: String
        public let scalar: Float?
        /// An image value's encoded bytes (PNG).
        public let image: [UInt8]?
    }

    public struct Event: Sendable {
        public let wallTime: Double
        public let step: Int
        public let fileVersion: String?
        public let values: [Value]
    }

    public static func events(_ path: String) throws -> [Event] {
        let bytes = try ImageFile.readAll(path)
        func bad(_ why: String) -> CodecError { CodecError(path: path, message: "is not a valid event file: \(why)") }
        func le<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            bytes[at..<at + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        var i = 0, events: [Event] = []
        while i < bytes.count {
            guard bytes.count - i >= 16 else { throw bad("a truncated record at byte \(i)") }
            let length = le(i, UInt64.self)
            guard le(i + 8, UInt32.self) == CRC32C.masked(bytes[i..<i + 8]) else { throw bad("the length CRC at byte \(i)") }
            guard length <= UInt64(bytes.count - i - 16) else { throw bad("a record at byte \(i) runs past the end") }
            let data = Array(bytes[(i + 12)..<(i + 12 + Int(length))])
            guard le(i + 12 + Int(length), UInt32.self) == CRC32C.masked(data) else { throw bad("the data CRC at byte \(i)") }
            i += 16 + Int(length)
            do {
                events.append(try event(data))
            } catch {
                throw bad("an event that is not a protocol buffer")
            }
        }
        return events
    }

    private static func event(_ data: [UInt8]) throws -> Event {
        var (time, step, version, values) = (0.0, 0, String?.none, [Value]())
        func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }
        for (field, value) in try ProtobufReader.fields(data) {
            switch (field, value) {
            case (1, .fixed64(let v)): time = Double(bitPattern: v)
            case (2, .varint(let v)): step = Int(truncatingIfNeeded: v)
            case (3, .bytes(let b)): version = text(b)
            case (5, .bytes(let summary)):
                for case (1, .bytes(let v)) in try ProtobufReader.fields(summary) {
                    var (tag, scalar, image) = ("", Float?.none, [UInt8]?.none)
                    for (f, x) in try ProtobufReader.fields(v) {
                        switch (f, x) {
                        case (1, .bytes(let b)): tag = text(b)
                        case (2, .fixed32(let b)): scalar = Float(bitPattern: b)
                        case (4, .bytes(let encoded)):
                            for case (4, .bytes(let png)) in try ProtobufReader.fields(encoded) { image = png }
                        default: break
                        }
                    }
                    values.append(Value(tag: tag, scalar: scalar, image: image))
                }
            default: break
            }
        }
        return Event(wallTime: time, step: step, fileVersion: version, values: values)
    }
}
