import Foundation

/// A linear axis: the value range shown and its ticks at "nice" steps (1, 2, 2.5 or 5 × 10ᵏ).
struct Axis: Equatable {
    var lower: Double
    var upper: Double
    var ticks: [Double]
    var step: Double

    /// Ticks covering `lower…upper` with about `targetCount` steps; the range is widened to whole steps
    /// when `snap` is true (value axes), kept as given otherwise (the iteration axis).
    init(lower: Double, upper: Double, targetCount: Int, snap: Bool) {
        var lo = lower, hi = upper
        if !(lo.isFinite && hi.isFinite) { lo = 0; hi = 1 }
        if hi < lo { swap(&lo, &hi) }
        if hi - lo < max(abs(hi), abs(lo), 1e-30) * 1e-9 {
            // A constant series: centre it in a small range.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let step = Axis.niceStep((hi - lo) / Double(max(targetCount, 1)))
        if snap {
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
        }
        var ticks: [Double] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + step * 1e-9 {
            let t = k * step
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            k += 1
        }
        self.lower = lo; self.upper = hi; self.ticks = ticks; self.step = step
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ᵏ that is at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, (log10(rough)).rounded(.down))
        for multiple in [1.0, 2, 2.5, 5, 10] where multiple * power >= rough * (1 - 1e-12) {
            return multiple * power
        }
        return 10 * power
    }

    /// Maps a value to a pixel coordinate between `from` (for `lower`) and `to` (for `upper`).
    func position(_ value: Double, from: Double, to: Double) -> Double {
        from + (value - lower) / (upper - lower) * (to - from)
    }

    /// Tick labels that resolve the step: `0.25`, `1.5e-4`, `12k`.
    func labels(compactThousands: Bool) -> [String] {
        let reference = max(abs(lower), abs(upper))
        return ticks.map { Axis.label($0, step: step, reference: reference, compactThousands: compactThousands) }
    }

    /// One tick label; `reference` (the axis's largest magnitude) picks the notation and the exponent,
    /// so that all labels of an axis share them.
    static func label(_ value: Double, step: Double, reference: Double, compactThousands: Bool) -> String {
        if value == 0 { return "0" }
        let magnitude = max(reference, step)
        if compactThousands && magnitude >= 10_000 {
            let (divisor, suffix) = magnitude >= 1_000_000 ? (1e6, "M") : (1e3, "k")
            return fixed(value / divisor, step: step / divisor) + suffix
        }
        if magnitude >= 1e-3 && magnitude < 1e6 { return fixed(value, step: step) }
        // Tiny or huge values (learning rates): mantissa and exponent of the largest magnitude.
        let exponent = Int(log10(magnitude).rounded(.down))
        let scale = pow(10, Double(exponent))
        return fixed(value / scale, step: step / scale) + "e\(exponent)"
    }

    /// `value` with as many decimals as `step` needs (at most 6), trailing zeros kept consistent.
    private static func fixed(_ value: Double, step: Double) -> String {
        var decimals = 0
        while decimals < 6, abs((step * pow(10, Double(decimals))).rounded() - step * pow(10, Double(decimals))) > 1e-6 {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", value)
    }
}
