import Foundation

/// Protocol-buffer wire format, written by hand for the ONNX export (a few message types, a few dozen lines)
/// rather than generated code (swift-protobuf's generated ONNX messages run to thousands of lines and its
/// plugin to minutes of build). Fields are written in the order given; `ProtobufReader` reads them back for
/// tests and checks.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// int32/int64/enum/bool field (negative values as ten-byte two's complement, as protobuf does).
    public mutating func int(_ field: Int, _ value: Int) { key(field, 0); varint(UInt64(bitPattern: Int64(value))) }

    public mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    public mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) { key(field, 2); varint(UInt64(value.count)); bytes += value }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}

/// Reads the fields of one message: (field number, varint value or length-delimited bytes).
public struct ProtobufReader {
    public enum Value: Equatable { case varint(UInt64), fixed32(UInt32), fixed64(UInt64), bytes([UInt8]) }

    public static func fields(_ bytes: [UInt8]) throws -> [(field: Int, value: Value)] {
        var i = 0, out: [(Int, Value)] = []
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw ProtobufError() }
                let b = bytes[i]; i += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1:
                guard bytes.count - i >= 8 else { throw ProtobufError() }
                out.append((field, .fixed64(bytes[i ..< i + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }))); i += 8
            case 2:
                let n = try varint()
                guard n <= UInt64(bytes.count - i) else { throw ProtobufError() }
                out.append((field, .bytes(Array(bytes[i ..< i + Int(n)])))); i += Int(n)
            case 5:
                guard bytes.count - i >= 4 else { throw ProtobufError() }
                out.append((field, .fixed32(bytes[i ..< i + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }))); i += 4
            default: throw ProtobufError()
            }
        }
        return out
    }
}

public struct ProtobufError: Error, CustomStringConvertible {
    public var description: String { "not a valid protocol buffer" }
}
