import Tensor
import Testing
@testable import CycleGAN

/// Preprocessing against the reference's size rules (data/base_dataset.py) and simple invariants of
/// bicubic resampling (oracle: hand-computed sizes and values; tolerance 1e-5).
@Suite("Preprocessing")
struct PreprocessTests {
    func output(_ p: PreprocessOptions, height: Int, width: Int, seed: UInt64 = 1) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        return p.apply(Tensor(shape: [3, height, width], repeating: 0.5), using: &rng).shape
    }

    @Test("output sizes of each --preprocess mode")
    func sizes() {
        #expect(output(PreprocessOptions(preprocess: .resize_and_crop, loadSize: 286, cropSize: 256), height: 300, width: 500) == [3, 256, 256])
        #expect(output(PreprocessOptions(preprocess: .crop, cropSize: 64), height: 100, width: 80) == [3, 64, 64])
        // scale_width: width → load_size, height keeps the aspect ratio (at least crop_size), then multiples of 4
        #expect(output(PreprocessOptions(preprocess: .scale_width, loadSize: 128, cropSize: 64), height: 300, width: 400) == [3, 96, 128])
        #expect(output(PreprocessOptions(preprocess: .scale_width_and_crop, loadSize: 128, cropSize: 64), height: 300, width: 400) == [3, 64, 64])
        // none: the size rounded to a multiple of 4
        #expect(output(PreprocessOptions(preprocess: .none), height: 37, width: 50) == [3, 36, 52])
    }

    @Test("values map to [−1, 1]; a constant image stays constant through resize, crop and flip")
    func values() {
        var rng = SeededGenerator(seed: 3)
        let out = PreprocessOptions(loadSize: 40, cropSize: 32).apply(Tensor(shape: [1, 30, 50], repeating: 0.25), using: &rng)
        #expect(out.scalars.allSatisfy { abs($0 - (-0.5)) < 1e-5 })
    }

    @Test("too small images are named by the problem; flips happen about half the time unless --no_flip")
    func problemsAndFlips() {
        let p = PreprocessOptions(preprocess: .crop, cropSize: 64)
        #expect(p.problem(height: 60, width: 100)?.contains("smaller than --crop_size 64") == true)
        #expect(p.problem(height: 64, width: 64) == nil)
        var ramp = Tensor(shape: [1, 4, 4])
        for x in 0..<4 { for y in 0..<4 { ramp[0, y, x] = Float(x) / 3 } }
        let q = PreprocessOptions(preprocess: .none)
        var flipped = 0
        for seed in 0..<200 {
            var rng = SeededGenerator(seed: UInt64(seed))
            if q.apply(ramp, using: &rng)[0, 0, 0] > 0 { flipped += 1 }
        }
        #expect(flipped > 70 && flipped < 130)
        var never = q
        never.noFlip = true
        for seed in 0..<20 {
            var rng = SeededGenerator(seed: UInt64(seed))
            #expect(never.apply(ramp, using: &rng)[0, 0, 0] == -1)
        }
    }

    @Test("bicubic downscaling by 2 of a linear ramp stays linear (PIL's filter is exact on linear data inside)")
    func bicubicRamp() {
        var ramp = Tensor(shape: [1, 1, 16])
        for x in 0..<16 { ramp[0, 0, x] = Float(x) / 15 }
        let half = resizeBicubic(ramp, height: 1, width: 8)
        // Output pixel j covers input centre 2j + 0.5: value (2j + 0.5) / 15, away from the clamped edges.
        for j in 2..<6 { #expect(abs(half[0, 0, j] - (Float(2 * j) + 0.5) / 15) < 1e-5) }
    }
}
