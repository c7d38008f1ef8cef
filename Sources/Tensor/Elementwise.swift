import Foundation

// Element-wise kernels: forward out of place, backward from the saved output where the derivative allows
// (relu, leaky relu and tanh need only y). The network's own (activations, their gradients, sums of
// tensors) run on the kernel threads; each element is computed alone, so the split changes no bit.

/// An element-wise function of one or two floats, as a type: a parallel loop calls it directly. (A closure
/// captured by a parallel loop is called through its context at every element, unvectorised: `map` with
/// its closure on the kernel threads made the activations slower, 29 → 43 ms/iter at 128² ngf 32.)
public protocol UnaryKernel { func callAsFunction(_ x: Float) -> Float }
public protocol BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float }

extension Tensor {
    /// A tensor of the same shape with `f` applied to every element (a vectorisable loop).
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] = f(x[i]) }
            }
        }
        return out
    }

    /// Element-wise `f(self, other)`; shapes must match.
    @inlinable
    public func zip(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        var out = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { y in
                    for i in 0..<a.count { y[i] = f(a[i], b[i]) }
                }
            }
        }
        return out
    }

    /// `f` applied to every element, on the kernel threads.
    @inlinable
    public func map<F: UnaryKernel>(_ f: F) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                let (xp, yp) = (Unchecked(x.baseAddress!), Unchecked(y.baseAddress!))
                parallelChunks(x.count) { range in
                    let (x, y) = (xp.value, yp.value)
                    for i in range { y[i] = f(x[i]) }
                }
            }
        }
        return out
    }

    /// Element-wise `f(self, other)` on the kernel threads; shapes must match.
    @inlinable
    public func zip<F: BinaryKernel>(_ other: Tensor, _ f: F) -> Tensor {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        var out = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { y in
                    let (ap, bp, yp) = (Unchecked(a.baseAddress!), Unchecked(b.baseAddress!), Unchecked(y.baseAddress!))
                    parallelChunks(a.count) { range in
                        let (a, b, y) = (ap.value, bp.value, yp.value)
                        for i in range { y[i] = f(a[i], b[i]) }
                    }
                }
            }
        }
        return out
    }

    /// self += alpha · other, in place, on the kernel threads.
    @inlinable
    public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(shape == other.shape || count == other.count, "shapes \(shape) and \(other.shape) differ")
        other.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { a in
                let (ap, bp) = (Unchecked(a.baseAddress!), Unchecked(b.baseAddress!))
                parallelChunks(a.count) { range in
                    let (a, b) = (ap.value, bp.value)
                    if alpha == 1 { for i in range { a[i] += b[i] } }
                    else { for i in range { a[i] += alpha * b[i] } }
                }
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.zip(b, Sum()) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.zip(b, Difference()) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map(Scale(factor: s)) }
}

struct Sum: BinaryKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
}
struct Difference: BinaryKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
}
struct Scale: UnaryKernel {
    let factor: Float
    func callAsFunction(_ x: Float) -> Float { x * factor }
}

// MARK: - Activations

/// max(x, 0); its gradient passes dOutput where y > 0.
struct ReLU: UnaryKernel, BinaryKernel {
    func callAsFunction(_ x: Float) -> Float { max(x, 0) }
    func callAsFunction(_ dy: Float, _ y: Float) -> Float { y > 0 ? dy : 0 }
}

/// x or slope · x; the sign of y is the sign of x (slope > 0), so the gradient needs only the output.
struct LeakyReLU: UnaryKernel, BinaryKernel {
    let slope: Float
    func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
    func callAsFunction(_ dy: Float, _ y: Float) -> Float { y > 0 ? dy : dy * slope }
}

/// tanh x; d tanh = 1 − y².
struct Tanh: UnaryKernel, BinaryKernel {
    func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) }
    func callAsFunction(_ dy: Float, _ y: Float) -> Float { dy * (1 - y * y) }
}

public func reluForward(_ x: Tensor) -> Tensor { x.map(ReLU()) }
/// dInput = dOutput where y > 0
public func reluBackward(_ dy: Tensor, output y: Tensor) -> Tensor { dy.zip(y, ReLU()) }

public func leakyReluForward(_ x: Tensor, slope: Float) -> Tensor { x.map(LeakyReLU(slope: slope)) }
public func leakyReluBackward(_ dy: Tensor, output y: Tensor, slope: Float) -> Tensor {
    dy.zip(y, LeakyReLU(slope: slope))
}

public func tanhForward(_ x: Tensor) -> Tensor { x.map(Tanh()) }
public func tanhBackward(_ dy: Tensor, output y: Tensor) -> Tensor { dy.zip(y, Tanh()) }

/// a [N, Ca, H, W], b [N, Cb, H, W] → [N, Ca + Cb, H, W]: per image, a's planes then b's.
public func concatChannelsForward(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape.count == 4 && b.shape.count == 4 && a.n == b.n && a.h == b.h && a.w == b.w,
                 "concatenation of \(a.shape) and \(b.shape): batch and spatial sizes must agree")
    var y = Tensor(uninitializedShape: [a.n, a.c + b.c, a.h, a.w])
    let (sa, sb) = (a.c * a.h * a.w, b.c * b.h * b.w)
    y.withUnsafeMutableBufferPointer { out in
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for i in 0..<a.n {
                    (out.baseAddress! + i * (sa + sb)).update(from: pa.baseAddress! + i * sa, count: sa)
                    (out.baseAddress! + i * (sa + sb) + sa).update(from: pb.baseAddress! + i * sb, count: sb)
                }
            }
        }
    }
    return y
}

/// The inverse of `concatChannelsForward`: x [N, C, H, W] → its first `channels` channels and the rest.
public func splitChannels(_ x: Tensor, at channels: Int) -> (Tensor, Tensor) {
    precondition(x.shape.count == 4 && (0...x.c).contains(channels))
    var a = Tensor(uninitializedShape: [x.n, channels, x.h, x.w])
    var b = Tensor(uninitializedShape: [x.n, x.c - channels, x.h, x.w])
    let (sa, sb) = (channels * x.h * x.w, (x.c - channels) * x.h * x.w)
    x.withUnsafeBufferPointer { px in
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                for i in 0..<x.n {
                    if sa > 0 { pa.baseAddress!.advanced(by: i * sa).update(from: px.baseAddress! + i * (sa + sb), count: sa) }
                    if sb > 0 { pb.baseAddress!.advanced(by: i * sb).update(from: px.baseAddress! + i * (sa + sb) + sa, count: sb) }
                }
            }
        }
    }
    return (a, b)
}
