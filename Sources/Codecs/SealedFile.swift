import Foundation

/// A checksum of a whole file kept in its first 512 bytes (HDF5's "user block", which HDF5 and h5py skip):
/// checked before a parser touches the rest. HDF5 itself trusts its input and can crash (SIGSEGV) on a
/// corrupted file, so a checkpoint is refused here, with its name, before HDF5 opens it.
///
/// Header: "cyclegan-sealed 1 fletcher64 <16 hex digits> <byte count>\n", zero-padded to 512 bytes. The
/// checksum is Fletcher-64 over the little-endian 32-bit words of bytes 512… (the tail zero-padded).
public enum SealedFile {
    public static let headerSize = 512
    static let magic = "cyclegan-sealed 1 fletcher64 "

    /// Writes the header into the reserved first 512 bytes of `path` (which must hold zeros there).
    public static func seal(_ path: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw CodecError(path: path, message: "could not be opened to seal it (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        let (sum, count) = try checksum(handle, path)
        var header = Data("\(magic)\(String(format: "%016llx", sum)) \(count)\n".utf8)
        header.append(Data(count: headerSize - header.count))
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: header)
            try handle.synchronize()
        } catch {
            throw CodecError(path: path, message: "could not be sealed: \(error.localizedDescription)")
        }
    }

    /// nil for a file without a header (written before sealing existed, or by another tool); true when the
    /// header matches the contents; throws a CodecError naming the file when it does not.
    @discardableResult
    public static func verify(_ path: String) throws -> Bool? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: headerSize), head.count == headerSize,
              head.starts(with: Data(magic.utf8)) else { return nil }
        let line = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self).dropFirst(magic.count).split(separator: " ")
        guard line.count == 2, let stored = UInt64(line[0], radix: 16), let storedCount = Int(line[1]) else {
            throw CodecError(path: path, message: "is corrupted: its checksum header is damaged")
        }
        let (sum, count) = try checksum(handle, path)
        guard count == storedCount else {
            throw CodecError(path: path, message: "is corrupted or truncated: \(count + headerSize) bytes where "
                             + "\(storedCount + headerSize) were written; use an earlier checkpoint (checkpoints/epoch_N.h5)")
        }
        guard sum == stored else {
            throw CodecError(path: path, message: "is corrupted: its contents do not match the checksum written with it; "
                             + "use an earlier checkpoint (checkpoints/epoch_N.h5) or a backup")
        }
        return true
    }

    /// Fletcher-64 of bytes 512… and their count, read in 8 MiB pieces.
    static func checksum(_ handle: FileHandle, _ path: String) throws -> (UInt64, Int) {
        let modulus: UInt64 = 0xFFFF_FFFF
        var (a, b): (UInt64, UInt64) = (0, 0)
        var count = 0
        do {
            try handle.seek(toOffset: UInt64(headerSize))
            while let piece = try handle.read(upToCount: 8 << 20), !piece.isEmpty {
                count += piece.count
                piece.withUnsafeBytes { raw in
                    let words = raw.count / 4
                    var i = 0
                    while i < words {
                        // 360 words keep b below 2^64 before the reduction.
                        let end = min(words, i + 360)
                        while i < end {
                            a &+= UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                            b &+= a
                            i += 1
                        }
                        a %= modulus; b %= modulus
                    }
                    if raw.count % 4 != 0 {
                        var tail: UInt32 = 0
                        for (k, byte) in raw[(4 * words)...].enumerated() { tail |= UInt32(byte) << (8 * UInt32(k)) }
                        a = (a + UInt64(tail)) % modulus; b = (b + a) % modulus
                    }
                }
            }
        } catch {
            throw CodecError(path: path, message: "could not be read: \(error.localizedDescription)")
        }
        return ((b << 32) | a, count)
    }
}
