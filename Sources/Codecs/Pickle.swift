import Foundation

// A restricted unpickler: the opcodes (protocols 0–5) and the globals a PyTorch state dict uses, nothing
// else. Pickle is a program for a stack machine whose GLOBAL and REDUCE opcodes import and call any Python
// function: that is how a .pth file can run code on `torch.load`. Here a global is only a name; the few
// a state dict needs are interpreted (`PickleValue.call`) and any other is refused before anything is
// called, with its name. Every length read from the file is checked against the bytes left, so corrupt data
// cannot make an allocation larger than the file.

/// A value a pickle builds.
public indirect enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    /// A dict in insertion order (OrderedDict and dict alike).
    case dict([(key: PickleValue, value: PickleValue)])
    /// A global the reader allows, by module and name (e.g. torch, FloatStorage).
    case global(module: String, name: String)
    /// A call of an allowed global, kept for the caller to interpret (torch._utils._rebuild_tensor_v2).
    case call(function: PickleValue, arguments: [PickleValue])
    /// A persistent id: where the file's tensors point at their storages.
    case persistent(PickleValue)

    /// Elements a container holds directly (0 for a scalar).
    var count: Int {
        switch self {
        case .tuple(let v), .list(let v): return v.count
        case .dict(let v): return v.count
        default: return 0
        }
    }

    public static func == (a: PickleValue, b: PickleValue) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.bytes(x), .bytes(y)): return x == y
        case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): return x == y
        case let (.dict(x), .dict(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.global(m1, n1), .global(m2, n2)): return m1 == m2 && n1 == n2
        case let (.call(f1, a1), .call(f2, a2)): return f1 == f2 && a1 == a2
        case let (.persistent(x), .persistent(y)): return x == y
        default: return false
        }
    }
}

/// Why a pickle was refused: continues the sentence that starts with the file's path.
public struct PickleError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public struct Unpickler {
    /// The globals a state dict needs: anything else is refused.
    public static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
        "torch.LongStorage", "torch.IntStorage", "torch.ByteStorage",
        // torch ≥ 2 names dtypes in the zip format's persistent ids of typed storages
        "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64", "torch.int64",
    ]

    private let bytes: [UInt8]
    private(set) var position: Int

    /// A pickle starting at `offset` of `bytes`; `position` tells where it ended.
    public init(_ bytes: [UInt8], at offset: Int = 0) {
        self.bytes = bytes
        position = offset
    }

    /// Runs the pickle to its STOP and returns the value built.
    ///
    /// Budgets, so that no file makes work or memory grow faster than its size: every value's nesting depth
    /// (a state dict needs about 5; refused past 32, before recursion on it could overflow the stack), its
    /// logical size counting shared parts each time they appear (refused past 4 × the file's bytes, so that
    /// walking it stays linear), and the elements all containers built together hold (the same bound: a
    /// pickle that fetches a saved list again and extends it copies it each time).
    public mutating func load() throws -> PickleValue {
        struct Item { var value: PickleValue; var size: Int; var depth: Int }
        var stack: [Item] = []
        var marks: [Int] = []
        // The memo keeps values, not references: a container fetched again after it was filled would be
        // stale. State dicts fetch again only what never changes (storage ids, strings, globals).
        var memo: [Int: Item] = [:]
        let budget = 4 * bytes.count + 1024
        var created = 0

        func fail(_ message: String) -> PickleError { PickleError(message: message) }
        func leaf(_ v: PickleValue) { stack.append(Item(value: v, size: 1, depth: 0)) }
        /// A container of `children` (or `extending` one with more), within the budgets.
        func container(_ v: PickleValue, _ children: [Item], extending base: Item? = nil) throws -> Item {
            let size = children.reduce(base?.size ?? 1) { $0 &+ $1.size }
            let depth = max(base?.depth ?? 0, 1 + (children.map(\.depth).max() ?? 0))
            created &+= children.count + (base.map { _ in v.count } ?? 0)
            guard depth <= 32 else { throw fail("nests values \(depth) deep, far deeper than a state dict: corrupt") }
            guard size <= budget, created <= budget else {
                throw fail("builds values far larger than the file (\(max(size, created)) elements from \(bytes.count) bytes): corrupt")
            }
            return Item(value: v, size: size, depth: depth)
        }
        func pop() throws -> Item {
            guard let v = stack.popLast() else { throw fail("is not a valid pickle: an opcode found an empty stack") }
            return v
        }
        func top() throws -> Item {
            guard let v = stack.last else { throw fail("is not a valid pickle: memo of an empty stack") }
            return v
        }
        func popMark() throws -> [Item] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw fail("is not a valid pickle: no MARK") }
            let items = Array(stack[mark...])
            stack.removeSubrange(mark...)
            return items
        }
        /// A dict with `items` (key, value, key, value, …) added. Keys are not looked up: a pickled dict holds
        /// each key once, and a lookup per key would make a crafted file quadratic.
        func setItems(_ target: Item, _ items: [Item]) throws -> Item {
            guard case .dict(var entries) = target.value, items.count % 2 == 0 else {
                throw fail("is not a valid pickle: SETITEMS on something other than a dict")
            }
            for i in stride(from: 0, to: items.count, by: 2) { entries.append((items[i].value, items[i + 1].value)) }
            return try container(.dict(entries), items, extending: target)
        }
        func append(_ target: Item, _ items: [Item]) throws -> Item {
            guard case .list(let list) = target.value else {
                throw fail("is not a valid pickle: APPENDS on something other than a list")
            }
            return try container(.list(list + items.map(\.value)), items, extending: target)
        }
        func global(_ module: String, _ name: String) throws -> PickleValue {
            guard Self.allowedGlobals.contains("\(module).\(name)") else {
                throw fail("names the Python global \(module).\(name), which a weights file does not need: refused "
                           + "without running it (a .pth can run code when PyTorch loads it; this reader runs none)")
            }
            return .global(module: module, name: name)
        }
        func recall(_ i: Int) throws -> Item {
            guard let v = memo[i] else { throw fail("is not a valid pickle: memo \(i) never stored") }
            return v
        }
        /// OrderedDict() is an empty dict; other allowed globals stay calls for the caller.
        func call(_ function: Item, _ arguments: Item) throws -> Item {
            guard case .global = function.value, case .tuple(let a) = arguments.value else {
                throw fail("is not a valid pickle: a call of something other than an allowed global")
            }
            if case .global("collections", "OrderedDict") = function.value { return Item(value: .dict([]), size: 1, depth: 0) }
            return try container(.call(function: function.value, arguments: a), [function, arguments])
        }

        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                  // PROTO
            case 0x95: _ = try take(8)                                 // FRAME
            case 0x2E: return try pop().value                          // STOP
            case 0x28: marks.append(stack.count)                       // MARK
            case 0x4E: leaf(.none)                                     // NONE
            case 0x88: leaf(.bool(true))                               // NEWTRUE
            case 0x89: leaf(.bool(false))                              // NEWFALSE
            case 0x4A: leaf(.int(Int(Int32(bitPattern: try uint(4))))) // BININT
            case 0x4B: leaf(.int(Int(try byte())))                     // BININT1
            case 0x4D: leaf(.int(Int(try uint(2))))                    // BININT2
            case 0x8A: leaf(.int(try long(Int(try byte()))))           // LONG1
            case 0x8B: leaf(.int(try long(Int(try uint(4)))))          // LONG4
            case 0x49:                                                 // INT (text)
                let text = try line()
                if text == "00" { leaf(.bool(false)) } else if text == "01" { leaf(.bool(true)) }
                else if let v = Int(text) { leaf(.int(v)) } else { throw fail("is not a valid pickle: INT '\(text)'") }
            case 0x4C:                                                 // LONG (text)
                var text = try line()
                if text.hasSuffix("L") { text.removeLast() }
                guard let v = Int(text) else { throw fail("is not a valid pickle: LONG '\(text)' out of range") }
                leaf(.int(v))
            case 0x47: leaf(.float(Double(bitPattern: UInt64(bigEndian: try uint64LE()))))   // BINFLOAT (big-endian)
            case 0x58: leaf(.string(try text(Int(try uint(4)))))       // BINUNICODE
            case 0x8C: leaf(.string(try text(Int(try byte()))))        // SHORT_BINUNICODE
            case 0x8D: leaf(.string(try text(try count64())))          // BINUNICODE8
            case 0x54: leaf(.string(try text(Int(try uint(4)))))       // BINSTRING (Python 2 str)
            case 0x55: leaf(.string(try text(Int(try byte()))))        // SHORT_BINSTRING
            case 0x42: leaf(.bytes(try take(Int(try uint(4)))))        // BINBYTES
            case 0x43: leaf(.bytes(try take(Int(try byte()))))         // SHORT_BINBYTES
            case 0x56: leaf(.string(try line()))                       // UNICODE (text)
            case 0x53:                                                 // STRING (quoted text)
                let quoted = try line()
                leaf(.string(String(quoted.dropFirst().dropLast())))
            case 0x7D: leaf(.dict([]))                                 // EMPTY_DICT
            case 0x5D: leaf(.list([]))                                 // EMPTY_LIST
            case 0x29: leaf(.tuple([]))                                // EMPTY_TUPLE
            case 0x64: stack.append(try setItems(Item(value: .dict([]), size: 1, depth: 0), try popMark()))   // DICT
            case 0x6C: let items = try popMark(); stack.append(try container(.list(items.map(\.value)), items))    // LIST
            case 0x74: let items = try popMark(); stack.append(try container(.tuple(items.map(\.value)), items))   // TUPLE
            case 0x85: let a = try pop(); stack.append(try container(.tuple([a.value]), [a]))                   // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(try container(.tuple([a.value, b.value]), [a, b]))  // TUPLE2
            case 0x87:                                                 // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(try container(.tuple([a.value, b.value, c.value]), [a, b, c]))
            case 0x73:                                                 // SETITEM
                let value = try pop(), key = try pop()
                stack.append(try setItems(try pop(), [key, value]))
            case 0x75:                                                 // SETITEMS
                let items = try popMark()
                stack.append(try setItems(try pop(), items))
            case 0x61: let item = try pop(); stack.append(try append(try pop(), [item]))      // APPEND
            case 0x65: let items = try popMark(); stack.append(try append(try pop(), items))  // APPENDS
            case 0x71: memo[Int(try byte())] = try top()               // BINPUT
            case 0x72: memo[Int(try uint(4))] = try top()              // LONG_BINPUT
            case 0x70: guard let i = Int(try line()) else { throw fail("is not a valid pickle: PUT") }  // PUT
                memo[i] = try top()
            case 0x94: memo[memo.count] = try top()                    // MEMOIZE
            case 0x68: stack.append(try recall(Int(try byte())))       // BINGET
            case 0x6A: stack.append(try recall(Int(try uint(4))))      // LONG_BINGET
            case 0x67: guard let i = Int(try line()) else { throw fail("is not a valid pickle: GET") }  // GET
                stack.append(try recall(i))
            case 0x63:                                                 // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                leaf(try global(module, name))
            case 0x93:                                                 // STACK_GLOBAL
                guard case .string(let name) = try pop().value, case .string(let module) = try pop().value else {
                    throw fail("is not a valid pickle: STACK_GLOBAL without names")
                }
                leaf(try global(module, name))
            case 0x52, 0x81:                                           // REDUCE, NEWOBJ
                let arguments = try pop()
                stack.append(try call(try pop(), arguments))
            case 0x62:                                                 // BUILD: state of an object (OrderedDict's _metadata): dropped
                _ = try pop()
                _ = try top()
            case 0x51: let id = try pop(); stack.append(try container(.persistent(id.value), [id]))   // BINPERSID
            case 0x50: leaf(.persistent(.string(try line())))         // PERSID
            default:
                throw fail(String(format: "uses the pickle opcode 0x%02X at byte %d, which a weights file does not need: refused",
                                  op, position - 1))
            }
        }
    }

    // MARK: - Reading bytes, each length checked against what is left

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw PickleError(message: "ends in the middle of its pickle (truncated)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= bytes.count - position else {
            throw PickleError(message: "ends in the middle of its pickle (a field of \(n) bytes with \(bytes.count - position) left: truncated)")
        }
        defer { position += n }
        return Array(bytes[position ..< position + n])
    }

    private mutating func uint(_ n: Int) throws -> UInt32 {
        try take(n).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    private mutating func uint64LE() throws -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }   // then byte-swapped by the caller if big-endian
    }

    private mutating func count64() throws -> Int {
        let v = try uint64LE()
        guard v <= UInt64(Int.max) else { throw PickleError(message: "has a pickle field of \(v) bytes: corrupt") }
        return Int(v)
    }

    /// A little-endian two's-complement integer of `n` bytes (LONG1/LONG4), up to 8 bytes.
    private mutating func long(_ n: Int) throws -> Int {
        guard n <= 8 else { throw PickleError(message: "has an integer of \(n) bytes, larger than this reader takes: corrupt") }
        let b = try take(n)
        if b.isEmpty { return 0 }
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        if n < 8 && b[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }   // sign-extend
        return Int(Int64(bitPattern: v))
    }

    private mutating func text(_ n: Int) throws -> String {
        String(decoding: try take(n), as: UTF8.self)
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw PickleError(message: "ends in the middle of its pickle (a text field without its newline: truncated)")
        }
        defer { position = end + 1 }
        return String(decoding: bytes[position ..< end], as: UTF8.self)
    }
}
