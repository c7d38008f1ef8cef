import Synchronization

/// Where dropout takes its masks from. Dropout is on only inside `DropoutMasks.$current.withValue(…)`: the
/// trainer sets it for a training step (drawn from its seeded generator, so a seeded run repeats and a resumed
/// one continues); translation, validation and export never set it, so there dropout is the identity, as in
/// the reference's eval mode. The parity tests hand in the masks a PyTorch run drew (`recorded`).
public final class DropoutMasks: Sendable {
    @TaskLocal public static var current: DropoutMasks?

    private enum Source {
        case random(SeededGenerator)
        case recorded(counts: [Int], bits: [UInt64], next: Int, start: Int)
    }
    private let source: Mutex<Source>

    /// Masks drawn from `generator`: each element kept with probability 1 − p.
    public init(generator: SeededGenerator) { source = Mutex(.random(generator)) }

    /// Masks given: `counts` elements per call in call order; bit `i` of word `w` is 1 where element 64·w + i of
    /// the concatenated calls was kept.
    public init(counts: [Int], kept bits: [UInt64]) {
        precondition(counts.reduce(0, +) <= bits.count * 64, "fewer mask bits than elements")
        source = Mutex(.recorded(counts: counts, bits: bits, next: 0, start: 0))
    }

    /// The generator after the draws (to continue from: it is saved in checkpoints); nil for recorded masks.
    public var generator: SeededGenerator? {
        source.withLock { if case .random(let g) = $0 { return g } else { return nil } }
    }

    /// Recorded calls not yet taken (0 for drawn masks).
    public var remainingCalls: Int {
        source.withLock { if case .recorded(let counts, _, let next, _) = $0 { return counts.count - next } else { return 0 } }
    }

    /// The next call's mask, as PyTorch applies it: 1/(1 − p) where kept, 0 where dropped.
    func take(count: Int, p: Float) -> [Float] {
        let scale = 1 / (1 - p)
        return source.withLock { s in
            switch s {
            case .random(var g):
                // A 24-bit uniform per element: kept when it is at or above p.
                let threshold = UInt64((Double(p) * Double(1 << 24)).rounded())
                let mask = (0..<count).map { _ in (g.next() >> 40) >= threshold ? scale : 0 }
                s = .random(g)
                return mask
            case .recorded(let counts, let bits, let next, let start):
                precondition(next < counts.count, "more dropout calls than the masks supplied")
                precondition(counts[next] == count, "dropout call \(next) has \(count) elements, the mask \(counts[next])")
                let mask = (0..<count).map { packedBit(bits, start + $0) ? scale : 0 }
                s = .recorded(counts: counts, bits: bits, next: next + 1, start: start + count)
                return mask
            }
        }
    }
}
