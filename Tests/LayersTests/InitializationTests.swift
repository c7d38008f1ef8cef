import Testing
@testable import Layers
@testable import Tensor

@Suite("Weight initialisation")
struct InitializationTests {
    /// max |M − gain² I| of M = W Wᵀ (wide: rows orthonormal) or Wᵀ W (tall: columns orthonormal).
    static func deviation(_ w: Tensor, gain: Float) -> Double {
        let rows = w.shape[0], cols = w.count / rows
        let v = w.scalars.map(Double.init)
        let (k, inner) = rows <= cols ? (rows, cols) : (cols, rows)
        var worst = 0.0
        for i in 0..<k {
            for j in 0..<k {
                var dot = 0.0
                for t in 0..<inner {
                    dot += rows <= cols ? v[i * cols + t] * v[j * cols + t] : v[t * cols + i] * v[t * cols + j]
                }
                worst = max(worst, abs(dot - (i == j ? Double(gain * gain) : 0)))
            }
        }
        return worst
    }

    @Test("orthogonal: a wide weight's rows and a tall weight's columns are orthonormal, times the gain; a seed fixes it",
          arguments: [[8, 3, 3, 3], [64, 4, 1, 1], [5, 5, 3, 3], [6, 6]])
    func orthogonal(_ shape: [Int]) {
        var g = SeededGenerator(seed: 4)
        let w = orthogonalWeights(shape, gain: 0.02, using: &g)
        #expect(w.shape == shape)
        #expect(Self.deviation(w, gain: 0.02) < 1e-9)
        var again = SeededGenerator(seed: 4)
        #expect(orthogonalWeights(shape, gain: 0.02, using: &again).scalars == w.scalars)
        // A normal draw of the same size is not orthogonal: the check can fail.
        var h = SeededGenerator(seed: 4)
        #expect(Self.deviation(Tensor.randomNormal(shape, std: 0.02, using: &h), gain: 0.02) > 1e-5)
    }

    @Test("--init_type orthogonal initialises every convolution of a module so, biases 0")
    func moduleInit() {
        let conv = Conv2D(3, 8, kernel: 3)
        var g = SeededGenerator(seed: 1)
        conv.initialize(.orthogonal, gain: 1, using: &g)
        #expect(Self.deviation(conv.weight.value, gain: 1) < 1e-6)
        #expect(conv.bias!.value.scalars.allSatisfy { $0 == 0 })
    }
}
