import RealModule

/// Σ x, vectorised (relaxed order within blocks of 4096), blocks added in Double so long sums stay exact
/// to float precision.
@inlinable
public func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
    Float(sumDouble(x))
}

@inlinable
public func sumDouble(_ x: UnsafeBufferPointer<Float>) -> Double {
    var total: Double = 0
    var start = 0
    while start < x.count {
        let end = min(start &+ 4096, x.count)
        var s: Float = 0
        for i in start..<end { s = Relaxed.sum(s, x[i]) }
        total += Double(s)
        start = end
    }
    return total
}

/// Σ x·y
@inlinable
public func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Double {
    precondition(x.count == y.count)
    var total: Double = 0
    var start = 0
    while start < x.count {
        let end = min(start &+ 4096, x.count)
        var s: Float = 0
        for i in start..<end { s = Relaxed.multiplyAdd(x[i], y[i], s) }
        total += Double(s)
        start = end
    }
    return total
}

/// Σ (x − m)², vectorised and blocked as `dot`
@inlinable
public func squaredDeviations(_ x: UnsafeBufferPointer<Float>, from m: Float) -> Double {
    var total: Double = 0
    var start = 0
    while start < x.count {
        let end = min(start &+ 4096, x.count)
        var s: Float = 0
        for i in start..<end { let d = x[i] - m; s = Relaxed.multiplyAdd(d, d, s) }
        total += Double(s)
        start = end
    }
    return total
}

extension Tensor {
    /// Σ of all elements.
    public func sum() -> Float { withUnsafeBufferPointer { Float(sumDouble($0)) } }
    /// Mean of all elements.
    public func mean() -> Float { withUnsafeBufferPointer { Float(sumDouble($0) / Double(count)) } }
    /// Largest |element|.
    public func maxAbs() -> Float { withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1)) } } }
    /// Euclidean norm.
    public func norm() -> Float { withUnsafeBufferPointer { Float(dot($0, $0).squareRoot()) } }
}
