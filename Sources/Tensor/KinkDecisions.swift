import Synchronization

/// Which side of its kink every input element of the coming ReLU / LeakyReLU calls falls on, supplied
/// from outside. The PyTorch parity tests hand in the reference's own decisions: where an input lies
/// within rounding of 0 (tens of thousands of normalised inputs per iteration, so some always do), the
/// side is decided by rounding, and at the fixtures' small sizes one flipped element moves the gradients
/// upstream by up to 50 %. With the reference's sides taken, a comparison checks the arithmetic rather than
/// the rounding; `largestDisagreement` shows that ours differed only within rounding of the kink, so a
/// real bug (which moves many inputs far across 0) still fails.
public final class KinkDecisions: Sendable {
    @TaskLocal public static var current: KinkDecisions?

    private struct State {
        var next = 0
        var start = 0
        var disagreements = 0
        var largestDisagreement: Float = 0
    }
    private let counts: [Int]
    private let sides: [UInt64]
    private let state = Mutex(State())

    /// `counts`: elements per call, in call order; `sides`: bit `i` of word `w` is 1 where element
    /// 64·w + i of the concatenated calls was above 0.
    public init(counts: [Int], sides: [UInt64]) {
        precondition(counts.reduce(0, +) <= sides.count * 64, "fewer sides than elements")
        self.counts = counts
        self.sides = sides
    }

    /// Calls not yet taken.
    public var remainingCalls: Int { state.withLock { counts.count - $0.next } }
    /// Elements where our own side differed from the supplied one, and the largest |x| among them.
    public var disagreements: Int { state.withLock { $0.disagreements } }
    public var largestDisagreement: Float { state.withLock { $0.largestDisagreement } }

    /// The next call's sides as 1 (above 0) and 0, shaped as `x`; records where ours differ.
    func take(for x: Tensor) -> Tensor {
        state.withLock { s in
            precondition(s.next < counts.count, "more activation calls than the decisions supplied")
            precondition(counts[s.next] == x.count,
                         "activation call \(s.next) has \(x.count) elements, the decisions \(counts[s.next])")
            let start = s.start
            let values = x.scalars
            var mask = [Float](repeating: 0, count: x.count)
            for i in 0..<x.count {
                let above = packedBit(sides, start + i)
                mask[i] = above ? 1 : 0
                if above != (values[i] > 0) {
                    s.disagreements += 1
                    s.largestDisagreement = max(s.largestDisagreement, abs(values[i]))
                }
            }
            s.start += x.count
            s.next += 1
            return Tensor(shape: x.shape, values: mask)
        }
    }
}

/// Bit `index` of bits packed little-endian into 64-bit words (bit i of word w is bit 64·w + i), as the
/// parity fixtures store the reference's decisions (kinks, dropout masks).
@inline(__always)
func packedBit(_ words: [UInt64], _ index: Int) -> Bool {
    (words[index >> 6] >> UInt64(index & 63)) & 1 == 1
}
