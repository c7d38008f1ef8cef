import Foundation

// Element-wise kernels: forward out of place, backward from the saved output where the derivative allows
// (relu, leaky relu and tanh need only y).

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

    /// self += alpha · other, in place.
    @inlinable
    public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(shape == other.shape || count == other.count, "shapes \(shape) and \(other.shape) differ")
        other.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { a in
                if alpha == 1 { for i in 0..<a.count { a[i] += b[i] } }
                else { for i in 0..<a.count { a[i] += alpha * b[i] } }
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.zip(b, +) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.zip(b, -) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
}

// MARK: - Activations

public func reluForward(_ x: Tensor) -> Tensor { x.map { max($0, 0) } }
/// dInput = dOutput where y > 0
public func reluBackward(_ dy: Tensor, output y: Tensor) -> Tensor { dy.zip(y) { $1 > 0 ? $0 : 0 } }

public func leakyReluForward(_ x: Tensor, slope: Float) -> Tensor { x.map { $0 > 0 ? $0 : $0 * slope } }
/// The sign of y is the sign of x (slope > 0), so the output suffices.
public func leakyReluBackward(_ dy: Tensor, output y: Tensor, slope: Float) -> Tensor {
    dy.zip(y) { $1 > 0 ? $0 : $0 * slope }
}

public func tanhForward(_ x: Tensor) -> Tensor { x.map { Foundation.tanh($0) } }
/// d tanh = 1 − y²
public func tanhBackward(_ dy: Tensor, output y: Tensor) -> Tensor { dy.zip(y) { $0 * (1 - $1 * $1) } }

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
