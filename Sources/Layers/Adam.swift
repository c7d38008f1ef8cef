import Foundation
import Tensor

/// Adam with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad):
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
/// Moments are stored beside each parameter in the same order, so the state saves and restores as arrays.
public final class Adam {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    /// Steps taken (t), saved in checkpoints.
    public var step = 0
    public var m: [Tensor]
    public var v: [Tensor]

    public init(_ parameters: [Parameter], learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999,
                epsilon: Float = 1e-8) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = parameters.map { Tensor(shape: $0.value.shape) }
        v = parameters.map { Tensor(shape: $0.value.shape) }
    }

    /// One update from the parameters' accumulated gradients.
    public func update() {
        let scope = Profiler.begin(.optimizer); defer { Profiler.end(scope) }
        step += 1
        let t = Float(step)
        let correction1 = 1 - pow(beta1, t), correction2Sqrt = (1 - pow(beta2, t)).squareRoot()
        let stepSize = learningRate / correction1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (i, p) in parameters.enumerated() {
            p.grad.withUnsafeBufferPointer { g in
            m[i].withUnsafeMutableBufferPointer { m in
            v[i].withUnsafeMutableBufferPointer { v in
            p.value.withUnsafeMutableBufferPointer { w in
                let (gs, ms, vs, ws) = (Unchecked(g), Unchecked(m), Unchecked(v), Unchecked(w))
                parallelChunks(w.count, costPerItem: 4) { range in
                    let (g, m, v, w) = (gs.value, ms.value, vs.value, ws.value)
                    for j in range {
                        m[j] = m[j] * b1 + g[j] * (1 - b1)
                        v[j] = v[j] * b2 + g[j] * g[j] * (1 - b2)
                        let denom = v[j].squareRoot() / correction2Sqrt + eps
                        w[j] -= stepSize * (m[j] / denom)
                    }
                }
            }}}}
        }
    }
}

private func pow(_ x: Float, _ y: Float) -> Float { Float(Foundation.pow(Double(x), Double(y))) }
