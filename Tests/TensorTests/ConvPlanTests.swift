import Testing
@testable import Tensor

/// A convolution call's algorithms are chosen once (`ConvPlan`), and the backward follows the plan it is
/// given, whatever `ConvAlgorithm.current` says by then: forward and backward cannot disagree.
@Suite("Convolution plans")
struct ConvPlanTests {
    func plan(_ input: [Int], _ weight: [Int], stride: Int = 1, padding: Int = 0, input needInput: Bool = true,
              weight needWeight: Bool = true) -> ConvPlan {
        ConvPlan(input: input, weight: weight, stride: stride, padding: padding, needInput: needInput,
                 needWeight: needWeight)
    }

    @Test("the generator's layers get the algorithms measured best for them")
    func choices() {
        // A residual block's 3×3 at 256² (256 channels on 64×64): Winograd for all three.
        let block = plan([1, 256, 66, 66], [256, 256, 3, 3])
        #expect(block.forward == .winograd && block.inputGradient == .adjointWinograd && block.weightGradient == .winograd)
        // The first 7×7 (3 input channels): im2col; its input gradient (rec_A's) through columns and col2im.
        let first = plan([1, 3, 70, 70], [64, 3, 7, 7])
        #expect(first.forward == .im2col && first.inputGradient == .col2im && first.weightGradient == .im2col)
        // The last 7×7 (3 outputs): the direct loops; the input gradient is the adjoint convolution (im2col).
        let last = plan([1, 64, 70, 70], [3, 64, 7, 7])
        #expect(last.forward == .fewOutputs && last.inputGradient == .adjointIm2col && last.weightGradient == .fewOutputs)
        // A stride-2 down-sampling 3×3: im2col, with both gradients in one pass over the columns.
        let down = plan([1, 64, 64, 64], [128, 64, 3, 3], stride: 2, padding: 1)
        #expect(down.forward == .im2col && down.inputGradient == .col2im && down.weightGradient == .im2col)
        // Only what is wanted: a frozen discriminator's layer computes its input gradient only.
        let frozen = plan([1, 64, 64, 64], [128, 64, 4, 4], stride: 2, padding: 1, weight: false)
        #expect(frozen.inputGradient == .col2im && frozen.weightGradient == .none)
        #expect(plan([1, 256, 66, 66], [256, 256, 3, 3], input: false).inputGradient == .none)
        // Forced im2col: no Winograd anywhere.
        let forced = ConvAlgorithm.$current.withValue(.im2col) { plan([1, 256, 66, 66], [256, 256, 3, 3]) }
        #expect(forced.forward == .im2col && forced.inputGradient == .adjointIm2col && forced.weightGradient == .im2col)
    }

    @Test("the backward follows its plan, not the algorithm in force when it runs")
    func backwardFollowsThePlan() {
        let x = randn([1, 32, 18, 18], seed: 1), w = randn([32, 32, 3, 3], seed: 2), dy = randn([1, 32, 16, 16], seed: 3)
        let im2colPlan = ConvAlgorithm.$current.withValue(.im2col) { plan(x.shape, w.shape) }
        let winogradPlan = ConvAlgorithm.$current.withValue(.winograd) { plan(x.shape, w.shape) }
        func backward(_ p: ConvPlan) -> (Tensor?, Tensor?, Tensor?) {
            conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 0, plan: p, needBias: false)
        }
        let im2col = ConvAlgorithm.$current.withValue(.im2col) { backward(im2colPlan) }
        let winograd = ConvAlgorithm.$current.withValue(.winograd) { backward(winogradPlan) }
        // Run each plan under the other algorithm: the results are the plan's own, bit for bit.
        let im2colUnderWinograd = ConvAlgorithm.$current.withValue(.winograd) { backward(im2colPlan) }
        let winogradUnderIm2col = ConvAlgorithm.$current.withValue(.im2col) { backward(winogradPlan) }
        #expect(im2colUnderWinograd.0!.scalars == im2col.0!.scalars && im2colUnderWinograd.1!.scalars == im2col.1!.scalars)
        #expect(winogradUnderIm2col.0!.scalars == winograd.0!.scalars && winogradUnderIm2col.1!.scalars == winograd.1!.scalars)
        // The two algorithms round differently, so the comparison above can tell them apart.
        #expect(im2col.1!.scalars != winograd.1!.scalars)
    }
}
