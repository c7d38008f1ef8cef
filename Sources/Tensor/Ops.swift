import Foundation

// Differentiable ops: each computes its value with a kernel and records a pullback that calls the
// matching backward kernel, asking only for the gradients that are wanted.

// MARK: - Convolutions

/// x [N, Cin, H, W], weight [Cout, Cin, k, k], bias [Cout]? → [N, Cout, Ho, Wo] (zero padding).
/// `filterCache`: where the algorithms may keep the weight's transforms, valid as long as the weight's value
/// (a layer passes its parameter's, `Parameter.derived`).
public func conv2d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0,
                   filterCache: ConvFilterCache? = nil) -> Variable {
    // One plan for the forward and the pullback: the gradients that will be wanted are known now.
    let plan = ConvPlan(input: x.shape, weight: weight.shape, stride: stride, padding: padding,
                        needInput: x.requiresGrad, needWeight: weight.requiresGrad)
    let state = plan.weightGradient == .winograd ? ConvCallState() : nil   // what the forward keeps for the pullback
    let y = Profiler.measure(.conv) {
        conv2dForward(x.value, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, plan: plan,
                      cache: filterCache, state: state)
    }
    let (xv, wv) = (x.value, weight.value)
    return x.tape.record(y, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { dy, wanted in
        let g = Profiler.measure(.conv, .backward) {
            conv2dBackward(dy, input: xv, weight: wv, stride: stride, padding: padding, plan: plan,
                           needBias: wanted.count > 2 && wanted[2], cache: filterCache, state: state)
        }
        return [g.dInput, g.dWeight, g.dBias]
    }
}

/// x [N, Cin, H, W], weight [Cin, Cout, k, k], bias [Cout]? → [N, Cout, (H−1)s − 2p + k + op, …]
public func convTranspose2d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0) -> Variable {
    let y = Profiler.measure(.conv) { convTranspose2dForward(x.value, weight: weight.value, bias: bias?.value, stride: stride,
                                   padding: padding, outputPadding: outputPadding) }
    let (xv, wv) = (x.value, weight.value)
    return x.tape.record(y, inputs: [x, weight] + (bias.map { [$0] } ?? [])) { dy, wanted in
        let g = Profiler.measure(.conv, .backward) { convTranspose2dBackward(dy, input: xv, weight: wv, stride: stride, padding: padding,
                                        needInput: wanted[0], needWeight: wanted[1],
                                        needBias: wanted.count > 2 && wanted[2]) }
        return [g.dInput, g.dWeight, g.dBias]
    }
}

// MARK: - Padding and normalisation

/// x [N, C, H, W] → [N, C, H + 2p, W + 2p], mirrored at the edges
public func reflectionPad(_ x: Variable, _ padding: Int) -> Variable {
    let y = Profiler.measure(.pad) { reflectionPadForward(x.value, padding: padding) }
    return x.tape.record(y, inputs: [x]) { dy, _ in [Profiler.measure(.pad, .backward) { reflectionPadBackward(dy, padding: padding) }] }
}

/// Zero mean, unit variance per group (no affine part); also returns the statistics (for running stats).
public func normalize(_ x: Variable, groups: NormGroups, eps: Float = 1e-5) -> (Variable, NormStats) {
    let (y, stats) = Profiler.measure(.norm) { normalizeForward(x.value, groups: groups, eps: eps) }
    let out = x.tape.record(y, inputs: [x]) { dy, _ in
        [Profiler.measure(.norm, .backward) { normalizeBackward(dy, output: y, stats: stats, groups: groups) }]
    }
    return (out, stats)
}

/// InstanceNorm2d(affine: false): x [N, C, H, W] → same shape
public func instanceNorm(_ x: Variable, eps: Float = 1e-5) -> Variable {
    normalize(x, groups: .instance, eps: eps).0
}

/// y = x · scale[c] + shift[c]
public func channelAffine(_ x: Variable, scale: Variable, shift: Variable) -> Variable {
    let y = Profiler.measure(.norm) { channelAffineForward(x.value, scale: scale.value, shift: shift.value) }
    let (xv, sv) = (x.value, scale.value)
    return x.tape.record(y, inputs: [x, scale, shift]) { dy, _ in
        let g = Profiler.measure(.norm, .backward) { channelAffineBackward(dy, input: xv, scale: sv) }
        return [g.dInput, g.dScale, g.dShift]
    }
}

// MARK: - Activations

public func relu(_ x: Variable) -> Variable {
    if let decisions = KinkDecisions.current { return piecewiseLinear(x, slope: 0, sides: decisions.take(for: x.value)) }
    let y = Profiler.measure(.activation) { reluForward(x.value) }
    return x.tape.record(y, inputs: [x]) { dy, _ in [Profiler.measure(.activation, .backward) { reluBackward(dy, output: y) }] }
}

public func leakyRelu(_ x: Variable, slope: Float = 0.2) -> Variable {
    if let decisions = KinkDecisions.current { return piecewiseLinear(x, slope: slope, sides: decisions.take(for: x.value)) }
    let y = Profiler.measure(.activation) { leakyReluForward(x.value, slope: slope) }
    return x.tape.record(y, inputs: [x]) { dy, _ in [Profiler.measure(.activation, .backward) { leakyReluBackward(dy, output: y, slope: slope) }] }
}

/// x where `sides` is 1, slope·x where it is 0, in both directions: ReLU / LeakyReLU with the side of the
/// kink given (`KinkDecisions`) instead of read from x.
func piecewiseLinear(_ x: Variable, slope: Float, sides: Tensor) -> Variable {
    let factor = sides.map { $0 == 1 ? 1 : slope }
    return x.tape.record(x.value.zip(factor, *), inputs: [x]) { dy, _ in [dy.zip(factor, *)] }
}

public func tanh(_ x: Variable) -> Variable {
    let y = Profiler.measure(.activation) { tanhForward(x.value) }
    return x.tape.record(y, inputs: [x]) { dy, _ in [Profiler.measure(.activation, .backward) { tanhBackward(dy, output: y) }] }
}

// MARK: - Arithmetic

/// a + b, same shapes
public func + (a: Variable, b: Variable) -> Variable {
    a.tape.record(Profiler.measure(.arithmetic) { a.value + b.value }, inputs: [a, b]) { dy, _ in [dy, dy] }
}

/// s · a
public func * (s: Float, a: Variable) -> Variable {
    a.tape.record(Profiler.measure(.arithmetic) { a.value * s }, inputs: [a]) { dy, _ in [Profiler.measure(.arithmetic, .backward) { dy * s }] }
}

/// The mean of all elements → [1]
public func mean(_ x: Variable) -> Variable {
    let shape = x.shape, n = Float(x.value.count)
    return x.tape.record(Profiler.measure(.arithmetic) { Tensor(x.value.mean()) }, inputs: [x]) { dy, _ in
        [Profiler.measure(.arithmetic, .backward) { Tensor(shape: shape, repeating: dy.scalar / n) }]
    }
}

// MARK: - Losses (means over all elements, as PyTorch's default reduction)

/// mean |x − y| → [1]; d/dx = sign(x − y) / n (sign 0 at 0, as PyTorch)
public func l1Loss(_ x: Variable, _ y: Variable) -> Variable {
    let scope = Profiler.begin(.loss); defer { Profiler.end(scope) }
    let diff = x.value - y.value, n = Float(diff.count)
    let loss = diff.withUnsafeBufferPointer { d in
        var s = 0.0
        var start = 0
        while start < d.count {
            let end = min(start + 4096, d.count)
            var block: Float = 0
            for i in start..<end { block += abs(d[i]) }
            s += Double(block)
            start = end
        }
        return Float(s / Double(n))
    }
    return x.tape.record(Tensor(loss), inputs: [x, y]) { dLoss, wanted in
        let scope = Profiler.begin(.loss, .backward); defer { Profiler.end(scope) }
        let scale = dLoss.scalar / n
        let dx = diff.map { $0 > 0 ? scale : ($0 < 0 ? -scale : 0) }
        return [wanted[0] ? dx : nil, wanted[1] ? dx * -1 : nil]
    }
}

/// mean (x − target)² → [1]
public func mseLoss(_ x: Variable, target: Float) -> Variable {
    let scope = Profiler.begin(.loss); defer { Profiler.end(scope) }
    let diff = x.value.map { $0 - target }, n = Float(diff.count)
    let loss = diff.withUnsafeBufferPointer { Float(dot($0, $0) / Double(n)) }
    return x.tape.record(Tensor(loss), inputs: [x]) { dLoss, _ in [Profiler.measure(.loss, .backward) { diff * (2 * dLoss.scalar / n) }] }
}

/// mean of BCEWithLogits(x, target) = max(x, 0) − x·t + log(1 + e^(−|x|)) → [1]
public func bceWithLogitsLoss(_ x: Variable, target: Float) -> Variable {
    let scope = Profiler.begin(.loss); defer { Profiler.end(scope) }
    let terms = x.value.map { max($0, 0) - $0 * target + Foundation.log1p(Foundation.exp(-abs($0))) }
    let n = Float(terms.count)
    let loss = terms.withUnsafeBufferPointer { Float(sumDouble($0) / Double(n)) }
    let xv = x.value
    return x.tape.record(Tensor(loss), inputs: [x]) { dLoss, _ in
        let scope = Profiler.begin(.loss, .backward); defer { Profiler.end(scope) }
        let scale = dLoss.scalar / n
        return [xv.map { (1 / (1 + Foundation.exp(-$0)) - target) * scale }]
    }
}

// MARK: - Dropout and concatenation

/// PyTorch's Dropout in training: each element kept with probability 1 − p and scaled by 1/(1 − p), with the
/// masks of `DropoutMasks.current`; the identity when there is none (inference).
public func dropout(_ x: Variable, p: Float) -> Variable {
    guard let masks = DropoutMasks.current, p > 0 else { return x }
    let mask = Tensor(shape: x.shape, values: masks.take(count: x.value.count, p: p))
    return x.tape.record(Profiler.measure(.arithmetic) { x.value.zip(mask, *) }, inputs: [x]) { dy, _ in
        [Profiler.measure(.arithmetic, .backward) { dy.zip(mask, *) }]
    }
}

/// torch.cat([a, b], 1): a [N, Ca, H, W] and b [N, Cb, H, W] → [N, Ca + Cb, H, W]
public func concatChannels(_ a: Variable, _ b: Variable) -> Variable {
    let (ca, cb) = (a.shape[1], b.shape[1])
    let y = Profiler.measure(.arithmetic) { concatChannelsForward(a.value, b.value) }
    return a.tape.record(y, inputs: [a, b]) { dy, wanted in
        Profiler.measure(.arithmetic, .backward) {
            let (da, db) = splitChannels(dy, at: ca)
            precondition(db.shape[1] == cb)
            return [wanted[0] ? da : nil, wanted[1] ? db : nil]
        }
    }
}

// MARK: - Batches

/// torch.cat([a, b], 0): a [Na, …] and b [Nb, …] of one image shape → [Na + Nb, …]. Lets independent images go
/// through a network in one pass (wider GEMMs, each weight's transforms read once).
public func concatBatch(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.shape.dropFirst() == b.shape.dropFirst(), "batches of \(a.shape) and \(b.shape): image shapes differ")
    let (na, nb) = (a.shape[0], b.shape[0])
    let y = Profiler.measure(.arithmetic) {
        Tensor(shape: [na + nb] + a.shape.dropFirst(), values: a.value.scalars + b.value.scalars)
    }
    return a.tape.record(y, inputs: [a, b]) { dy, wanted in
        Profiler.measure(.arithmetic, .backward) {
            [wanted[0] ? imagesForward(dy, 0..<na) : nil, wanted[1] ? imagesForward(dy, na..<(na + nb)) : nil]
        }
    }
}

/// x[range]: the images `range` of x [N, …]. Its gradient is dy on those images and zero on the others.
public func images(_ x: Variable, _ range: Range<Int>) -> Variable {
    let y = Profiler.measure(.arithmetic) { imagesForward(x.value, range) }
    let shape = x.shape
    return x.tape.record(y, inputs: [x]) { dy, _ in
        Profiler.measure(.arithmetic, .backward) {
            let image = shape.dropFirst().reduce(1, *)
            var dx = [Float](repeating: 0, count: shape.reduce(1, *))
            dx.replaceSubrange(range.lowerBound * image ..< range.upperBound * image, with: dy.scalars)
            return [Tensor(shape: shape, values: dx)]
        }
    }
}

/// x[range] of x [N, …].
func imagesForward(_ x: Tensor, _ range: Range<Int>) -> Tensor {
    precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[0], "images \(range) of a batch of \(x.shape[0])")
    let image = x.shape.dropFirst().reduce(1, *)
    return Tensor(shape: [range.count] + x.shape.dropFirst(),
                  values: Array(x.scalars[range.lowerBound * image ..< range.upperBound * image]))
}
