import Foundation
import Tensor

// PSNR and SSIM as scikit-image computes them (skimage.metrics.peak_signal_noise_ratio and
// structural_similarity) on 8-bit images: data_range 255, in double precision. Images are tensors
// [C, H, W] with values k/255, as the image reader gives them.

/// 10·log₁₀(255² / MSE) over every value of the two images; +∞ for identical images (numpy's result).
public func peakSignalToNoiseRatio(_ truth: Tensor, _ test: Tensor) -> Double {
    precondition(truth.shape == test.shape, "PSNR of images of shapes \(truth.shape) and \(test.shape)")
    let a = pixelValues(truth), b = pixelValues(test)
    var sum = 0.0
    for i in a.indices { sum += (a[i] - b[i]) * (a[i] - b[i]) }
    let mse = sum / Double(a.count)
    return mse == 0 ? .infinity : 10 * ((255 * 255) / mse).log10
}

/// The mean structural similarity with scikit-image's defaults: a uniform 7 × 7 window, K₁ 0.01, K₂ 0.03,
/// sample covariances (×49/48), the mean over the pixels at least 3 from every border; for colour images,
/// the mean over channels (channel_axis=-1). Both sides must be at least 7 pixels.
public func structuralSimilarity(_ truth: Tensor, _ test: Tensor) -> Double {
    precondition(truth.shape == test.shape, "SSIM of images of shapes \(truth.shape) and \(test.shape)")
    let (C, H, W) = (truth.shape[0], truth.shape[1], truth.shape[2])
    precondition(H >= ssimWindow && W >= ssimWindow, "SSIM needs images of at least \(ssimWindow) × \(ssimWindow)")
    let a = pixelValues(truth), b = pixelValues(test)
    let n = Double(ssimWindow * ssimWindow), covarianceNorm = n / (n - 1)
    let c1 = (0.01 * 255.0) * (0.01 * 255.0), c2 = (0.03 * 255.0) * (0.03 * 255.0)
    let pad = ssimWindow / 2
    var total = 0.0
    for c in 0..<C {
        var sum = 0.0
        for y in pad..<(H - pad) {
            for x in pad..<(W - pad) {
                var (sa, sb, saa, sbb, sab) = (0.0, 0.0, 0.0, 0.0, 0.0)
                for wy in (y - pad)...(y + pad) {
                    for wx in (x - pad)...(x + pad) {
                        let i = (c * H + wy) * W + wx
                        sa += a[i]; sb += b[i]; saa += a[i] * a[i]; sbb += b[i] * b[i]; sab += a[i] * b[i]
                    }
                }
                let (ua, ub) = (sa / n, sb / n)
                let va = covarianceNorm * (saa / n - ua * ua), vb = covarianceNorm * (sbb / n - ub * ub)
                let vab = covarianceNorm * (sab / n - ua * ub)
                sum += ((2 * ua * ub + c1) * (2 * vab + c2)) / ((ua * ua + ub * ub + c1) * (va + vb + c2))
            }
        }
        total += sum / Double((H - 2 * pad) * (W - 2 * pad))
    }
    return total / Double(C)
}

/// scikit-image's default window side.
public let ssimWindow = 7

/// The 8-bit values 0…255 of an image read as k/255.
private func pixelValues(_ image: Tensor) -> [Double] {
    image.scalars.map { Double(($0 * 255).rounded()) }
}

private extension Double {
    var log10: Double { Foundation.log10(self) }
}
