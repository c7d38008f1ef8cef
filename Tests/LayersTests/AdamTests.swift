import Foundation
import Testing
@testable import Layers
import Tensor

@Suite("Adam, schedules, initialisation")
struct LayersTests {
    /// Oracle: the update of torch.optim.Adam written out in Double, step by step:
    /// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). Tolerance 1e-6.
    @Test("Adam follows PyTorch's update over several steps with changing gradients")
    func adamSteps() {
        let p = Parameter(Tensor(shape: [3], values: [0.5, -1.0, 2.0]))
        let adam = Adam([p], learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8)
        let gradients: [[Double]] = [[0.1, -0.2, 0.0], [0.3, 0.1, -1e-3], [-0.05, 0.2, 4.0], [0.0, 0.0, 0.0]]
        var w: [Double] = [0.5, -1.0, 2.0], m = [0.0, 0, 0], v = [0.0, 0, 0]
        for (t, g) in gradients.enumerated() {
            p.grad = Tensor(shape: [3], values: g.map(Float.init))
            adam.update()
            let step = Double(t + 1)
            for i in 0..<3 {
                m[i] = 0.5 * m[i] + 0.5 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                let denom = v[i].squareRoot() / (1 - pow(0.999, step)).squareRoot() + 1e-8
                w[i] -= 2e-4 / (1 - pow(0.5, step)) * m[i] / denom
            }
            for i in 0..<3 {
                #expect(abs(Double(p.value.scalars[i]) - w[i]) < 1e-6, "step \(t + 1), element \(i)")
            }
        }
        // By hand: the first step moves each weight with a gradient by lr against its sign.
        #expect(adam.step == 4)
    }

    @Test("the first Adam step is −lr·sign(g) (by hand)")
    func adamFirstStep() {
        let p = Parameter(Tensor(shape: [2], values: [1, 1]))
        let adam = Adam([p], learningRate: 0.1)
        p.grad = Tensor(shape: [2], values: [3, -0.5])
        adam.update()
        // m̂ = g, v̂ = g² → update = lr · g / (|g| + ε)
        #expect(abs(p.value.scalars[0] - 0.9) < 1e-6 && abs(p.value.scalars[1] - 1.1) < 1e-6)
    }

    @Test("linear policy: constant for n_epochs, then linear towards 0 (reference lambda_rule)")
    func linearSchedule() {
        let s = LRSchedule(policy: .linear, nEpochs: 100, nEpochsDecay: 100)
        #expect(s.factor(epoch: 1) == 1 && s.factor(epoch: 100) == 1)
        #expect(abs(s.factor(epoch: 101) - (1 - 1.0 / 101)) < 1e-6)
        #expect(abs(s.factor(epoch: 200) - (1 - 100.0 / 101)) < 1e-6)
        let step = LRSchedule(policy: .step, nEpochs: 10, nEpochsDecay: 0, decayIters: 3)
        #expect(step.factor(epoch: 3) == 1 && abs(step.factor(epoch: 4) - 0.1) < 1e-7)
        let cosine = LRSchedule(policy: .cosine, nEpochs: 10, nEpochsDecay: 0)
        #expect(cosine.factor(epoch: 1) == 1 && abs(cosine.factor(epoch: 6) - 0.5) < 1e-6)
    }

    /// Oracle: PyTorch's ReduceLROnPlateau with the reference's settings, over the same sequences
    /// (Scripts/pytorch/plateau_reference.py prints these factors).
    @Test("plateau policy: PyTorch's ReduceLROnPlateau (factor 0.2, threshold 1 % relative, patience 5)")
    func plateauSchedule() {
        func factors(_ metrics: [Double], higherIsBetter: Bool = false) -> [Float] {
            var p = Plateau()
            return metrics.map { p.step($0, higherIsBetter: higherIsBetter, rate: 0.0002); return p.scale }
        }
        let constant = factors(Array(repeating: 0, count: 20))
        #expect(constant == [Float](repeating: 1, count: 6) + [Float](repeating: 0.2, count: 6)
                + [Float](repeating: 0.2 * 0.2, count: 6) + [0.2 * 0.2 * 0.2, 0.2 * 0.2 * 0.2])
        let flattening = factors([10, 9, 8, 7.95, 7.94, 7.93, 7.92, 7.91, 7.9, 7.9, 7.9, 5, 5, 5, 5, 5, 5, 5, 5])
        #expect(flattening == [Float](repeating: 1, count: 17) + [0.2, 0.2])
        // Higher is better (a PSNR, mode 'max'): 1.03 is not 1 % above 1.02, so six bad steps end at the 8th.
        #expect(factors([1, 1.02, 1.03, 1.03, 1.03, 1.03, 1.03, 1.03, 1.03], higherIsBetter: true) == [1, 1, 1, 1, 1, 1, 1, 0.2, 0.2])
    }

    @Test("normal init: conv weights N(0, 0.02²), biases 0, batch-norm weights N(1, 0.02²); seeded")
    func initialisation() {
        let conv = Conv2D(64, 64, kernel: 3)
        var g = SeededGenerator(seed: 7)
        conv.initialize(.normal, gain: 0.02, using: &g)
        let w = conv.weight.value
        let mean = w.mean(), std = (w.map { $0 * $0 }.mean() - mean * mean).squareRoot()
        #expect(abs(mean) < 1e-3 && abs(std - 0.02) < 1e-3)
        #expect(conv.bias!.value.maxAbs() == 0)
        let again = Conv2D(64, 64, kernel: 3)
        var g2 = SeededGenerator(seed: 7)
        again.initialize(.normal, gain: 0.02, using: &g2)
        #expect(again.weight.value.scalars == w.scalars)
        let bn = Norm2D(.batch, channels: 1000)
        bn.initialize(.normal, gain: 0.02, using: &g)
        #expect(abs(bn.weight!.value.mean() - 1) < 3e-3)
    }
}
