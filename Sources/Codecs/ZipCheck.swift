/// Checks a zip archive's directory before ZIPFoundation reads it, against the file's own size: ZIPFoundation
/// trusts offsets and sizes (an offset of 2⁶³ or more traps converting to off_t), and torch.save's archives
/// need none of what would let corrupt data through. Refused: zip64, compressed records (torch.save stores
/// them), and any offset, size or data descriptor that points outside the file or disagrees with the
/// directory. Returns the number of records.
enum ZipCheck {
    static func validate(_ bytes: [UInt8]) throws -> Int {
        func fail(_ why: String) -> PickleError { PickleError(message: "is a damaged or unusual zip archive (\(why)): save it again with torch.save") }
        func u16(_ i: Int) throws -> Int {
            guard i >= 0, i + 2 <= bytes.count else { throw fail("a field past the end") }
            return Int(bytes[i]) | Int(bytes[i + 1]) << 8
        }
        func u32(_ i: Int) throws -> Int {
            guard i >= 0, i + 4 <= bytes.count else { throw fail("a field past the end") }
            return (0..<4).reduce(0) { $0 | Int(bytes[i + $1]) << (8 * $1) }
        }
        // The end-of-central-directory record: 22 bytes and a comment of up to 65535 at the end.
        var eocd = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65535) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no end of central directory: truncated") }
        // A zip64 locator just before it would make ZIPFoundation take 64-bit offsets from the file.
        if eocd >= 20, try u32(eocd - 20) == 0x0706_4B50 { throw fail("zip64") }
        let count = try u16(eocd + 10), size = try u32(eocd + 12), offset = try u32(eocd + 16)
        guard count != 0xFFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else { throw fail("zip64") }
        guard offset + size <= eocd else { throw fail("a central directory outside the file") }
        var at = offset
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4B50 else { throw fail("a broken central directory") }
            let flags = try u16(at + 8), method = try u16(at + 10)
            let compressed = try u32(at + 20), uncompressed = try u32(at + 24)
            let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
            let local = try u32(at + 42)
            guard compressed != 0xFFFF_FFFF, uncompressed != 0xFFFF_FFFF, local != 0xFFFF_FFFF else { throw fail("zip64") }
            guard method == 0, compressed == uncompressed else { throw fail("a compressed record") }
            // No zip64 extra field (id 1) in the directory entry.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                if try u16(extra) == 1 { throw fail("zip64") }
                extra += 4 + (try u16(extra + 2))
            }
            // The local header and the data it introduces lie inside the file, before the directory.
            guard try u32(local) == 0x0403_4B50 else { throw fail("a record whose local header is missing") }
            let data = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard data + compressed <= offset else { throw fail("a record that runs past its end") }
            if flags & 8 != 0 {   // a data descriptor after the data: its sizes must be the directory's
                var d = data + compressed
                if try u32(d) == 0x0807_4B50 { d += 4 }
                guard try u32(d + 4) == compressed, try u32(d + 8) == uncompressed else {
                    throw fail("a data descriptor that disagrees with the directory")
                }
            }
            at += 46 + nameLength + extraLength + commentLength
            guard at <= offset + size else { throw fail("a central directory longer than it says") }
        }
        return count
    }
}
