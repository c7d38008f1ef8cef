import Testing
@testable import Tensor

/// Finite-difference oracle: for a function f of tensors, compares the tape's gradient of
/// L = Σ f(x) · R (R random) along random directions D with the central difference
/// (L(x + εD) − L(x − εD)) / 2ε, computed in Double from float32 forwards.
/// Returns the worst relative error over inputs and directions.
func gradientCheckError(
    _ inputs: [Tensor], seed: UInt64 = 1, epsilon: Float = 1e-2, directions: Int = 3,
    _ f: ([Variable]) -> Variable
) -> Double {
    var rng = SeededGenerator(seed: seed)
    let tape = Tape()
    let vars = inputs.map { tape.variable($0) }
    let out = f(vars)
    let r = Tensor.randomNormal(out.shape, using: &rng)
    let grads = tape.backward(out, seed: r, wrt: vars)

    func loss(_ xs: [Tensor]) -> Double {
        let t = Tape()
        let y = f(xs.map { t.constant($0) }).value
        return y.withUnsafeBufferPointer { yp in r.withUnsafeBufferPointer { dot(yp, $0) } }
    }
    var worst = 0.0
    for (i, x) in inputs.enumerated() {
        guard let g = grads[i] else { Issue.record("no gradient for input \(i)"); return .infinity }
        #expect(g.shape == x.shape)
        for _ in 0..<directions {
            let d = Tensor.randomNormal(x.shape, using: &rng)
            var plus = inputs, minus = inputs
            plus[i] = x + d * epsilon
            minus[i] = x - d * epsilon
            let numeric = (loss(plus) - loss(minus)) / (2 * Double(epsilon))
            let analytic = g.withUnsafeBufferPointer { gp in d.withUnsafeBufferPointer { dot(gp, $0) } }
            let err = abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-3)
            worst = max(worst, err)
        }
    }
    return worst
}

/// Random values with |v| in [0.2, 1]: away from the kinks of relu, leaky relu and |·|.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: 0.2, high: 1, using: &rng).map { v in
        rng.nextUniform() < 0.5 ? -v : v
    }
}

func randn(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape, std: std, using: &rng)
}
