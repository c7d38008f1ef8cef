import Testing
@testable import Tensor

@Suite("Kink decisions")
struct KinkDecisionsTests {
    @Test("supplied sides replace ours in ReLU and LeakyReLU, both ways; differences are counted")
    func suppliedSides() {
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [1, 1, 1, 4], values: [-2, -1e-7, 3e-7, 5]))
        // Bit i is element i. Call 1 (ReLU): sides 0 1 1 1, element 1 (−1e-7) taken as above 0;
        // call 2 (LeakyReLU): sides 0 0 0 1, element 2 (3e-7) taken as below.
        let sides: UInt64 = 0b1110 | (0b1000 << 4)
        let decisions = KinkDecisions(counts: [4, 4], sides: [sides])
        let (r, l) = KinkDecisions.$current.withValue(decisions) { (relu(x), leakyRelu(x, slope: 0.2)) }
        #expect(r.value.scalars == [0, -1e-7, 3e-7, 5])
        #expect(l.value.scalars == [-2 * Float(0.2), -1e-7 * Float(0.2), 3e-7 * Float(0.2), 5])
        #expect(decisions.remainingCalls == 0 && decisions.disagreements == 2)
        #expect(decisions.largestDisagreement == 3e-7)

        let p = Parameter(Tensor(shape: [1, 1, 1, 4], values: [-2, -1e-7, 3e-7, 5]))
        let t2 = Tape()
        let again = KinkDecisions(counts: [4], sides: [0b0101])
        let y = KinkDecisions.$current.withValue(again) { leakyRelu(t2.parameter(p), slope: 0.2) }
        t2.backward(y)
        #expect(p.grad.scalars == [1, 0.2, 1, 0.2])
    }
}
