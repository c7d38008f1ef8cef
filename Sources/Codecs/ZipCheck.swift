/// Checks a zip archive's directory before ZIPFoundation reads it, against the file's own size: ZIPFoundation
/// trusts offsets and sizes (an offset of 2⁶³ or more traps converting to off_t, found by fuzzing). Every
/// offset and size, including zip64 ones (torch.save writes a zip64 end record), must point inside the file
/// and agree with what it points at; compressed records are refused (torch.save stores them). Returns the
/// number of records.
enum ZipCheck {
    static func validate(_ bytes: [UInt8]) throws -> Int {
        func fail(_ why: String) -> PickleError {
            PickleError(message: "is a damaged or unusual zip archive (\(why)): save it again with torch.save")
        }
        func uint(_ i: Int, _ n: Int) throws -> UInt64 {
            guard i >= 0, n <= bytes.count, i <= bytes.count - n else { throw fail("a field past the end") }
            return (0..<n).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) }
        }
        /// An offset or size of at most the file's length, as an Int.
        func within(_ v: UInt64, _ what: String) throws -> Int {
            guard v <= UInt64(bytes.count) else { throw fail("\(what) beyond the end of the file") }
            return Int(v)
        }
        // The end-of-central-directory record: 22 bytes and a comment of up to 65535 at the end.
        guard bytes.count >= 22 else { throw fail("too short: truncated") }
        var eocd = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65535) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no end of central directory: truncated") }
        var count = try uint(eocd + 10, 2), size = try uint(eocd + 12, 4), offset = try uint(eocd + 16, 4)
        // A zip64 locator just before it: ZIPFoundation then takes the zip64 record's values, so check those.
        if eocd >= 20, try uint(eocd - 20, 4) == 0x0706_4B50 {
            let record = try within(try uint(eocd - 20 + 8, 8), "a zip64 record")
            guard record <= eocd - 20 - 56, try uint(record, 4) == 0x0606_4B50 else { throw fail("a broken zip64 record") }
            count = try uint(record + 32, 8); size = try uint(record + 40, 8); offset = try uint(record + 48, 8)
        }
        let start = try within(offset, "a central directory"), length = try within(size, "a central directory")
        guard start <= eocd, length <= eocd - start, count <= UInt64(length / 46) else {
            throw fail("a central directory outside the file")
        }
        var at = start
        for _ in 0..<Int(count) {
            guard try uint(at, 4) == 0x0201_4B50 else { throw fail("a broken central directory") }
            let flags = try uint(at + 8, 2), method = try uint(at + 10, 2)
            var compressed = try uint(at + 20, 4), uncompressed = try uint(at + 24, 4)
            let nameLength = Int(try uint(at + 28, 2)), extraLength = Int(try uint(at + 30, 2))
            let commentLength = Int(try uint(at + 32, 2))
            var local = try uint(at + 42, 4)
            // A zip64 extra field (id 1) holds, in this order, the 64-bit values of the fields set to 0xFFFFFFFF.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try uint(extra, 2), n = Int(try uint(extra + 2, 2))
                if id == 1 {
                    var p = extra + 4
                    for field in [0, 1, 2] {
                        let value = [uncompressed, compressed, local][field]
                        guard value == 0xFFFF_FFFF else { continue }
                        guard p + 8 <= extra + 4 + n else { throw fail("a short zip64 field") }
                        let wide = try uint(p, 8)
                        if field == 0 { uncompressed = wide } else if field == 1 { compressed = wide } else { local = wide }
                        p += 8
                    }
                }
                extra += 4 + n
            }
            guard method == 0, compressed == uncompressed else { throw fail("a compressed record") }
            let stored = try within(compressed, "a record"), header = try within(local, "a record")
            // The local header and the data it introduces lie inside the file, before the directory.
            guard try uint(header, 4) == 0x0403_4B50 else { throw fail("a record whose local header is missing") }
            let data = header + 30 + Int(try uint(header + 26, 2)) + Int(try uint(header + 28, 2))
            guard data <= start, stored <= start - data else { throw fail("a record that runs past its end") }
            if flags & 8 != 0 {   // a data descriptor after the data: its sizes must be the directory's
                var d = data + stored
                if try uint(d, 4) == 0x0807_4B50 { d += 4 }
                let small = try uint(d + 4, 4) == compressed && uint(d + 8, 4) == uncompressed
                let wide = try d + 20 <= bytes.count && uint(d + 4, 8) == compressed && uint(d + 12, 8) == uncompressed
                guard small || wide else { throw fail("a data descriptor that disagrees with the directory") }
            }
            at += 46 + nameLength + extraLength + commentLength
            guard at <= start + length else { throw fail("a central directory longer than it says") }
        }
        return Int(count)
    }
}
