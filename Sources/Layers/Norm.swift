import Tensor

/// The `--norm` choices of the reference.
public enum NormKind: String, Codable, CaseIterable, Sendable {
    /// InstanceNorm2d(affine: false, track_running_stats: false), eps 1e-5
    case instance
    /// BatchNorm2d(affine: true), statistics of the batch (the reference trains and tests in train mode)
    case batch
    /// no normalisation
    case none

    /// The reference gives convolutions before a norm a bias only with instance norm
    /// (`use_bias = norm_layer == nn.InstanceNorm2d`): not with batch norm, and not with `none`.
    public var convolutionsHaveBias: Bool { self == .instance }
}

/// A normalisation layer of a given kind. Only `batch` has state: `weight`, `bias`, and the buffers
/// `running_mean`, `running_var`, `num_batches_tracked` (updated as PyTorch does, momentum 0.1).
public final class Norm2D: Module {
    public let kind: NormKind
    public let weight: Parameter?, bias: Parameter?
    public let runningMean: Parameter?, runningVar: Parameter?, batchesTracked: Parameter?
    /// Whether forward passes update the running statistics.
    public var updatesRunningStats = true

    public init(_ kind: NormKind, channels: Int) {
        self.kind = kind
        let isBatch = kind == .batch
        weight = isBatch ? Parameter(Tensor(shape: [channels], repeating: 1)) : nil
        bias = isBatch ? Parameter(Tensor(shape: [channels])) : nil
        runningMean = isBatch ? Parameter(Tensor(shape: [channels])) : nil
        runningVar = isBatch ? Parameter(Tensor(shape: [channels], repeating: 1)) : nil
        batchesTracked = isBatch ? Parameter(Tensor(shape: [])) : nil
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        switch kind {
        case .none: return x
        case .instance: return instanceNorm(x)
        case .batch:
            let (xHat, stats) = normalize(x, groups: .batch)
            if updatesRunningStats { updateRunningStats(stats, count: x.value.count / x.value.c) }
            return channelAffine(xHat, scale: x.tape.parameter(weight!), shift: x.tape.parameter(bias!))
        }
    }

    /// running = 0.9 · running + 0.1 · batch, with the unbiased variance (as PyTorch).
    private func updateRunningStats(_ stats: NormStats, count n: Int) {
        let unbias = Float(n) / Float(max(n - 1, 1))
        runningMean!.value = Tensor(shape: runningMean!.value.shape, values: Swift.zip(runningMean!.value.scalars, stats.mean).map { 0.9 * $0 + 0.1 * $1 })
        runningVar!.value = Tensor(shape: runningVar!.value.shape, values: Swift.zip(runningVar!.value.scalars, stats.variance).map { 0.9 * $0 + 0.1 * $1 * unbias })
        batchesTracked!.value = Tensor(shape: [], values: [batchesTracked!.value.scalar + 1])
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        guard kind == .batch else { return [] }
        return [("weight", weight!), ("bias", bias!)]
    }

    public var ownBuffers: [(name: String, parameter: Parameter)] {
        guard kind == .batch else { return [] }
        return [("running_mean", runningMean!), ("running_var", runningVar!), ("num_batches_tracked", batchesTracked!)]
    }
}
