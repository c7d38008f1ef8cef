import Tensor

/// A piece of a network whose parameters carry their PyTorch state-dict keys, so that weights move
/// between this tool and the reference with a plain key-for-key copy.
/// A module declares what it holds itself and its children; keys and order follow from those two lists.
public protocol Module: AnyObject {
    /// This module's own trainable parameters (`weight`, `bias`), in state-dict order.
    var ownParameters: [(name: String, parameter: Parameter)] { get }
    /// This module's own non-trainable state saved with the weights (batch norm's running statistics).
    var ownBuffers: [(name: String, parameter: Parameter)] { get }
    /// Sub-modules under their key segment (`model.1`, `conv_block.5`), in state-dict order.
    var children: [(name: String, module: Module)] { get }
}

extension Module {
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    public var ownBuffers: [(name: String, parameter: Parameter)] { [] }
    public var children: [(name: String, module: Module)] { [] }

    /// Trainable parameters, keys relative to this module (`weight`, `model.1.weight`, …): its own, then
    /// its children's in order.
    public func parameters(prefix: String) -> [(key: String, parameter: Parameter)] {
        ownParameters.map { (key(prefix, $0.name), $0.parameter) }
            + children.flatMap { $0.module.parameters(prefix: key(prefix, $0.name)) }
    }

    /// Non-trainable state, keyed and ordered as `parameters`.
    public func buffers(prefix: String) -> [(key: String, parameter: Parameter)] {
        ownBuffers.map { (key(prefix, $0.name), $0.parameter) }
            + children.flatMap { $0.module.buffers(prefix: key(prefix, $0.name)) }
    }

    /// Everything a state dict holds, in PyTorch's `state_dict()` order: each module's own parameters and
    /// buffers, then its children's.
    public func stateDict(prefix: String = "") -> [(key: String, parameter: Parameter)] {
        (ownParameters + ownBuffers).map { (key(prefix, $0.name), $0.parameter) }
            + children.flatMap { $0.module.stateDict(prefix: key(prefix, $0.name)) }
    }

    /// Parameters then buffers: everything a state dict holds.
    public func stateEntries() -> [(key: String, parameter: Parameter)] {
        parameters(prefix: "") + buffers(prefix: "")
    }

    public var parameterCount: Int { parameters(prefix: "").reduce(0) { $0 + $1.parameter.value.count } }

    /// Freezes or unfreezes every parameter (a frozen one gets no weight gradient).
    public func setRequiresGrad(_ flag: Bool) {
        for (_, p) in parameters(prefix: "") { p.requiresGrad = flag }
    }

    /// This module and every module under it.
    public var allModules: [Module] { [self] + children.flatMap { $0.module.allModules } }

    /// Runs `body` with the module in inference: parameters frozen (a tape records nothing) and batch norms'
    /// running statistics left as they are, so that a validation pass changes nothing training depends on;
    /// both restored afterwards.
    public func inInference<R>(_ body: () throws -> R) rethrows -> R {
        let trainable = parameters(prefix: "").map { ($0.parameter, $0.parameter.requiresGrad) }
        let norms = allModules.compactMap { $0 as? Norm2D }.map { ($0, $0.updatesRunningStats) }
        setRequiresGrad(false)
        for (norm, _) in norms { norm.updatesRunningStats = false }
        defer {
            for (p, flag) in trainable { p.requiresGrad = flag }
            for (norm, flag) in norms { norm.updatesRunningStats = flag }
        }
        return try body()
    }

    public func zeroGrad() {
        for (_, p) in parameters(prefix: "") { p.zeroGrad() }
    }
}

/// `prefix` + `name`, dot-separated: key(“model.1”, “weight”) = “model.1.weight”.
@inlinable
public func key(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
