/// How the bold line of a curve is smoothed from the raw (faint) values.
///
/// Non-finite values (NaN, ±inf) are skipped: the smoothed value at their row is NaN (a gap in the plot)
/// and they do not enter the average of their neighbours.
///
/// A window of 0 asks for the automatic window (`automaticWindow`), chosen when the log's length is known
/// (`resolved(rowCount:)`); where a `Smoothing?` is taken, nil means `.exponential(window: 0)`.
public enum Smoothing: Sendable, Equatable, CustomStringConvertible {
    /// The raw values.
    case none
    /// Exponential moving average over about `window` rows: `s = s + α (x − s)`, `α = 2 / (window + 1)`,
    /// started at the first finite value (so the start is not pulled towards zero). Like TensorBoard's.
    case exponential(window: Int)
    /// Mean of the finite values in a centred window of `window` rows (shrunk at the ends): no lag.
    case movingAverage(window: Int)

    /// The window used when none is asked: about 3 % of the rows, so that a curve shows some 30
    /// independent wiggles whatever the log interval; at least 3 rows (GAN losses are noisy from the
    /// first row on), at most 500, none for logs of fewer than 10 rows.
    public static func automaticWindow(rowCount: Int) -> Int {
        rowCount < 10 ? 1 : max(3, min(500, rowCount / 30))
    }

    /// The same kind with a window of 0 replaced by the automatic window for `rowCount` rows.
    public func resolved(rowCount: Int) -> Smoothing {
        switch self {
        case .exponential(0): return .exponential(window: Smoothing.automaticWindow(rowCount: rowCount))
        case .movingAverage(0): return .movingAverage(window: Smoothing.automaticWindow(rowCount: rowCount))
        default: return self
        }
    }

    public var window: Int {
        switch self {
        case .none: return 1
        case .exponential(let w), .movingAverage(let w): return w
        }
    }

    public var description: String {
        switch self {
        case .none: return "no smoothing"
        case .exponential(let w): return w <= 1 ? "no smoothing" : "exponential average, window \(w)"
        case .movingAverage(let w): return w <= 1 ? "no smoothing" : "moving average, window \(w)"
        }
    }

    /// values [n] → smoothed [n]
    public func apply(_ values: [Double]) -> [Double] {
        switch self {
        case .none:
            return values.map { $0.isFinite ? $0 : .nan }
        case .exponential(let window):
            let alpha = 2 / (Double(max(window, 1)) + 1)
            var state: Double? = nil
            return values.map { x in
                guard x.isFinite else { return .nan }
                let s = state.map { $0 + alpha * (x - $0) } ?? x
                state = s
                return s
            }
        case .movingAverage(let window):
            return Smoothing.centredMean(values, window: max(window, 1))
        }
    }

    /// Centred moving mean over finite values, with running sums: O(n).
    static func centredMean(_ values: [Double], window: Int) -> [Double] {
        let n = values.count
        var prefixSum = [Double](repeating: 0, count: n + 1)
        var prefixCount = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            let finite = values[i].isFinite
            prefixSum[i + 1] = prefixSum[i] + (finite ? values[i] : 0)
            prefixCount[i + 1] = prefixCount[i] + (finite ? 1 : 0)
        }
        let before = (window - 1) / 2, after = window / 2
        return (0..<n).map { i in
            guard values[i].isFinite else { return .nan }
            let lo = max(0, i - before), hi = min(n, i + after + 1)
            return (prefixSum[hi] - prefixSum[lo]) / Double(prefixCount[hi] - prefixCount[lo])
        }
    }
}
