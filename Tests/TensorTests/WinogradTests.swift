import Testing
@testable import Tensor

/// Winograd F(4×4, 3×3) against the direct loops (forward) and against im2col + GEMM (both gradients),
/// on shapes whose edges cut tiles (sizes not multiples of 4), with batches, paddings 0–2 and biases.
@Suite("Winograd convolution")
struct WinogradTests {
    static let shapes: [(n: Int, cin: Int, cout: Int, h: Int, w: Int, p: Int)] = [
        (1, 3, 5, 9, 8, 1), (2, 4, 6, 13, 10, 0), (1, 5, 3, 7, 7, 2), (2, 9, 16, 16, 16, 1), (1, 12, 7, 3, 5, 1),
        (1, 16, 17, 22, 11, 0),
    ]

    func relative(_ a: Tensor, _ b: Tensor) -> Float { (a - b).maxAbs() / max(b.maxAbs(), 1e-12) }

    @Test("forward equals the direct loops", arguments: shapes)
    func forward(_ s: (n: Int, cin: Int, cout: Int, h: Int, w: Int, p: Int)) {
        let x = randn([s.n, s.cin, s.h, s.w], seed: 1), w = randn([s.cout, s.cin, 3, 3], seed: 2)
        let b = randn([s.cout], seed: 3)
        for bias in [b, nil] {
            let fast = conv2dWinogradForward(x, weight: w, bias: bias, padding: s.p)
            let naive = conv2dNaive(x, weight: w, bias: bias, stride: 1, padding: s.p)
            #expect(fast.shape == naive.shape)
            let d = relative(fast, naive)
            print("winograd forward \(s) bias \(bias != nil): max relative difference \(d)")
            #expect(d < 1e-5)
        }
    }

    @Test("both gradients equal im2col + GEMM's", arguments: shapes)
    func gradients(_ s: (n: Int, cin: Int, cout: Int, h: Int, w: Int, p: Int)) {
        let x = randn([s.n, s.cin, s.h, s.w], seed: 4), w = randn([s.cout, s.cin, 3, 3], seed: 5)
        let dy = randn([s.n, s.cout, s.h + 2 * s.p - 2, s.w + 2 * s.p - 2], seed: 6)
        func grads(_ a: ConvAlgorithm) -> (dInput: Tensor?, dWeight: Tensor?, dBias: Tensor?) {
            ConvAlgorithm.$current.withValue(a) {
                conv2dBackward(dy, input: x, weight: w, stride: 1, padding: s.p,
                               needInput: true, needWeight: true, needBias: true)
            }
        }
        let (fast, oracle) = (grads(.winograd), grads(.im2col))
        let dw = relative(fast.dWeight!, oracle.dWeight!), dx = relative(fast.dInput!, oracle.dInput!)
        let dwDirect = relative(conv2dWinogradWeightGradient(dy, input: x, padding: s.p), oracle.dWeight!)
        print("winograd gradients \(s): dWeight \(dw), dInput \(dx)")
        #expect(dw < 1e-5 && dx < 1e-5 && dwDirect < 1e-5)
        #expect(fast.dBias!.scalars == oracle.dBias!.scalars)
    }

    @Test("finite differences agree with the tape through the Winograd path")
    func finiteDifferences() {
        let inputs = [randn([2, 4, 9, 7], seed: 7), randn([6, 4, 3, 3], seed: 8), randn([6], seed: 9)]
        for p in [0, 1] {
            let err = ConvAlgorithm.$current.withValue(.winograd) {
                gradientCheckError(inputs) { conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: p) }
            }
            print("gradient check winograd conv 3x3 p\(p): worst relative error \(err)")
            #expect(err < 1e-2)
        }
    }

    @Test("the input's transform kept by the forward gives the weight gradient bit for bit; the backward lets it go")
    func keptInputs() {
        let x = randn([2, 16, 6, 6], seed: 13), w = randn([24, 16, 3, 3], seed: 14), dy = randn([2, 24, 6, 6], seed: 15)
        ConvAlgorithm.$current.withValue(.winograd) {
            let plan = ConvPlan(input: x.shape, weight: w.shape, stride: 1, padding: 1, needInput: true, needWeight: true)
            #expect(plan.weightGradient == .winograd)
            let state = ConvCallState()
            _ = conv2dForward(x, weight: w, bias: nil, stride: 1, padding: 1, plan: plan, state: state)
            #expect(state.winogradInputs != nil)
            let kept = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 1, plan: plan, needBias: false,
                                      state: state)
            #expect(state.winogradInputs == nil)
            let fresh = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 1, plan: plan, needBias: false)
            #expect(kept.dWeight!.scalars == fresh.dWeight!.scalars && kept.dInput!.scalars == fresh.dInput!.scalars)
            // A forward whose plan takes no Winograd weight gradient keeps nothing.
            let noWeight = ConvPlan(input: x.shape, weight: w.shape, stride: 1, padding: 1, needInput: true,
                                    needWeight: false)
            _ = conv2dForward(x, weight: w, bias: nil, stride: 1, padding: 1, plan: noWeight, state: state)
            #expect(state.winogradInputs == nil)
            // Without room under the limit nothing is kept, and the backward transforms x again: the same bits.
            $keptWinogradInputsLimit.withValue(0) {
                let full = ConvCallState()
                _ = conv2dForward(x, weight: w, bias: nil, stride: 1, padding: 1, plan: plan, state: full)
                #expect(full.winogradInputs == nil)
                let again = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 1, plan: plan, needBias: false,
                                           state: full)
                #expect(again.dWeight!.scalars == kept.dWeight!.scalars)
            }
        }
    }

    @Test("transformed weights kept in a cache give bit-identical results on their next uses")
    func cache() {
        let x = randn([1, 16, 6, 6], seed: 10), w = randn([24, 16, 3, 3], seed: 11)
        let dy = randn([1, 24, 4, 4], seed: 12)
        #expect(keepsWinogradFilters(outChannels: 24, imageTiles: 1))
        ConvAlgorithm.$current.withValue(.winograd) {
            let cache = ConvFilterCache()
            let first = conv2dForward(x, weight: w, bias: nil, stride: 1, padding: 0, cache: cache)
            #expect(cache.winograd != nil)
            let again = conv2dForward(x, weight: w, bias: nil, stride: 1, padding: 0, cache: cache)
            #expect(first.scalars == again.scalars)
            let fresh = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 0,
                                       needInput: true, needWeight: true, needBias: false)
            for _ in 0..<2 {
                let kept = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 0,
                                          needInput: true, needWeight: true, needBias: false, cache: cache)
                #expect(kept.dInput!.scalars == fresh.dInput!.scalars && kept.dWeight!.scalars == fresh.dWeight!.scalars)
            }
            #expect(cache.adjoint.winograd != nil)
        }
        // im2col keeps the flipped weight of its input gradient.
        ConvAlgorithm.$current.withValue(.im2col) {
            let cache = ConvFilterCache()
            let fresh = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 0,
                                       needInput: true, needWeight: false, needBias: false)
            for _ in 0..<2 {
                let kept = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 0,
                                          needInput: true, needWeight: false, needBias: false, cache: cache)
                #expect(kept.dInput!.scalars == fresh.dInput!.scalars)
            }
            #expect(cache.flipped != nil)
        }
    }

    @Test("automatic picks Winograd for wide 3×3 stride-1 layers only")
    func choice() {
        func picks(_ cin: Int, _ cout: Int, _ size: Int, kernel: Int = 3, stride: Int = 1) -> Bool {
            usesWinograd(kernel: kernel, stride: stride, inChannels: cin, outChannels: cout,
                         outHeight: size, outWidth: size, batch: 1)
        }
        #expect(picks(256, 256, 64))                     // the residual blocks at 256²
        #expect(picks(128, 128, 16))                     // … at 64², ngf 32
        #expect(!picks(3, 64, 256))                      // few input channels
        #expect(!picks(256, 256, 64, stride: 2))
        #expect(!picks(256, 256, 64, kernel: 4))
        #expect(ConvAlgorithm.$current.withValue(.im2col) { !picks(256, 256, 64) })
        #expect(ConvAlgorithm.$current.withValue(.winograd) { picks(3, 1, 5) })
    }
}
