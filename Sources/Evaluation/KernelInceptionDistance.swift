import CBLAS
import Tensor

/// KID as torch-fidelity computes it (`kid_features_to_metric`): the unbiased MMD² with the polynomial kernel
/// k(x, y) = (xᵀy / d + 1)³, averaged over `subsets` random subsets of `subsetSize` features drawn from each
/// set without replacement, with its standard deviation over subsets (numpy's std, ddof 0). The subsets are
/// the ones torch-fidelity draws: numpy's legacy RandomState(seed).choice(n, size, replace=False), re-implemented
/// bit for bit (`NumPyRandomState`), so for the same features the result is torch-fidelity's, not merely a
/// sample of the same estimator.
public struct KernelInceptionDistance: Sendable, Equatable {
    public let mean: Double
    public let standardDeviation: Double
    public let subsets: Int
    public let subsetSize: Int

    /// torch-fidelity's defaults.
    public static let defaultSubsets = 100
    public static let defaultSubsetSize = 1000
    public static let defaultSeed: UInt32 = 2020

    /// KID between the rows of `x` [n₁, d] and `y` [n₂, d]. `subsetSize` larger than a set is not an error
    /// here (torch-fidelity refuses it): it shrinks to the smaller set, which `subsetSize` then reports, so
    /// that a test set of 120 images still gets a KID; every subset then holds the whole smaller set.
    public init(_ x: Tensor, _ y: Tensor, subsets: Int = defaultSubsets, subsetSize: Int = defaultSubsetSize,
                seed: UInt32 = defaultSeed) {
        let (n1, n2, d) = (x.shape[0], y.shape[0], x.shape[1])
        precondition(y.shape[1] == d && subsets >= 1 && min(n1, n2) >= 2, "KID needs two sets of ≥ 2 features")
        let m = min(subsetSize, n1, n2)
        let a = x.scalars.map(Double.init), b = y.scalars.map(Double.init)
        var random = NumPyRandomState(seed: seed)
        var mmds: [Double] = []
        for _ in 0..<subsets {
            let i1 = random.choiceWithoutReplacement(n1, m), i2 = random.choiceWithoutReplacement(n2, m)
            mmds.append(Self.unbiasedMMD2(rows(a, i1, d), rows(b, i2, d), m: m, d: d))
        }
        let mean = mmds.reduce(0, +) / Double(subsets)
        let variance = mmds.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(subsets)
        self.mean = mean; self.standardDeviation = variance.squareRoot()
        self.subsets = subsets; self.subsetSize = m
    }

    /// (Σ_{i≠j} k(xᵢ, xⱼ) + Σ_{i≠j} k(yᵢ, yⱼ)) / (m(m − 1)) − 2 Σ k(xᵢ, yⱼ) / m².
    static func unbiasedMMD2(_ x: [Double], _ y: [Double], m: Int, d: Int) -> Double {
        func kernelSum(_ p: [Double], _ q: [Double], skipDiagonal: Bool) -> Double {
            var dots = [Double](repeating: 0, count: m * m)   // P Qᵀ through BLAS: the bulk of KID's time
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(m), Int32(d), 1 / Double(d),
                        p, Int32(d), q, Int32(d), 0, &dots, Int32(m))
            var sum = 0.0
            for i in 0..<m {
                for j in 0..<m where !(skipDiagonal && i == j) {
                    let base = dots[i * m + j] + 1
                    sum += base * base * base
                }
            }
            return sum
        }
        let xx = kernelSum(x, x, skipDiagonal: true), yy = kernelSum(y, y, skipDiagonal: true)
        let xy = kernelSum(x, y, skipDiagonal: false)
        return (xx + yy) / Double(m * (m - 1)) - 2 * xy / Double(m * m)
    }
}

private func rows(_ values: [Double], _ indices: [Int], _ d: Int) -> [Double] {
    var out: [Double] = []
    out.reserveCapacity(indices.count * d)
    for i in indices { out.append(contentsOf: values[(i * d)..<(i * d + d)]) }
    return out
}

/// numpy's legacy `np.random.RandomState(seed)` (MT19937 seeded by init_genrand), as far as torch-fidelity
/// uses it: `choice(n, size, replace=False)`, which is `permutation(n)[:size]`, a Fisher–Yates shuffle from
/// the end whose bounded draws reject masked 32-bit outputs above the bound (numpy's `random_interval`).
struct NumPyRandomState {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// A uniform integer in 0...max (numpy's random_interval for bounds below 2³²).
    mutating func interval(_ max: Int) -> Int {
        if max == 0 { return 0 }
        var mask = UInt32(max)
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = nextUInt32() & mask
            if value <= UInt32(max) { return Int(value) }
        }
    }

    mutating func permutation(_ n: Int) -> [Int] {
        var values = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { values.swapAt(i, interval(i)) }
        return values
    }

    mutating func choiceWithoutReplacement(_ n: Int, _ size: Int) -> [Int] {
        Array(permutation(n).prefix(size))
    }
}
