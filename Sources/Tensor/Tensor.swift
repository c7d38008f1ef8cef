import Foundation

/// A float32 tensor in row-major order (NCHW for images), with value semantics:
/// copies share storage until one of them is written (copy on write).
public struct Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Number of elements.
    @inlinable public var count: Int { storage.count }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
        if value == 0 { storage.pointer.initialize(repeating: 0, count: storage.count) }
        else { storage.pointer.initialize(repeating: value, count: storage.count) }
    }

    /// A tensor of `shape` holding `values` in row-major order.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.storage = TensorStorage(count: values.count)
        values.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: values.count) }
    }

    /// A tensor whose storage is left uninitialised: for kernels that overwrite every element.
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A scalar (shape [1]).
    public init(_ scalar: Float) { self.init(shape: [1], repeating: scalar) }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }
    public static func zeros(like t: Tensor) -> Tensor { Tensor(shape: t.shape) }

    /// The elements as an array, row-major.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor of shape \(shape)")
        return storage.pointer[0]
    }

    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The same elements under another shape with the same count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Element at a multi-index (slow: for tests and small work).
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[offset(index)] }
        set {
            let o = offset(index)
            withUnsafeMutableBufferPointer { $0[o] = newValue }
        }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var o = 0
        for (i, n) in Swift.zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            o = o * n + i
        }
        return o
    }

    // MARK: - NCHW accessors (4-D tensors)
    @inlinable public var n: Int { shape[0] }
    @inlinable public var c: Int { shape[1] }
    @inlinable public var h: Int { shape[2] }
    @inlinable public var w: Int { shape[3] }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

/// 64-byte aligned float storage shared between tensor copies. Buffers come from and return to
/// `StoragePool`, so a training step that makes the same tensors every iteration allocates nothing
/// from the system in the steady state (no mmap/munmap, no page faults).
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    init(count: Int) {
        self.count = count
        pointer = StoragePool.shared.take(count)
    }

    @usableFromInline func copy() -> TensorStorage {
        let s = TensorStorage(count: count)
        s.pointer.initialize(from: pointer, count: count)
        return s
    }

    deinit { StoragePool.shared.give(pointer, count) }
}

/// Free buffers by element count, kept up to `limitBytes` in all. Thread-safe (the batch loader
/// allocates on its own thread).
public final class StoragePool: @unchecked Sendable {
    public static let shared = StoragePool()
    /// Buffers smaller than this go straight to malloc, which is fast for them.
    static let minimumCount = 4096
    public var limitBytes = 4 << 30
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumCount {
            lock.lock()
            if let p = free[count]?.popLast() {
                cachedBytes -= count * 4
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= Self.minimumCount {
            lock.lock()
            if cachedBytes + count * 4 <= limitBytes {
                free[count, default: []].append(p)
                cachedBytes += count * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        UnsafeMutableRawPointer(p).deallocate()
    }

    /// Returns every cached buffer to the system.
    public func drain() {
        lock.lock()
        defer { lock.unlock() }
        for (_, list) in free { for p in list { UnsafeMutableRawPointer(p).deallocate() } }
        free.removeAll()
        cachedBytes = 0
    }
}
