import Tensor

/// A piece of a network whose parameters carry their PyTorch state-dict keys, so that weights move
/// between this tool and the reference with a plain key-for-key copy.
public protocol Module: AnyObject {
    /// Trainable parameters, keys relative to this module (`weight`, `model.1.weight`, …), in a fixed order.
    func parameters(prefix: String) -> [(key: String, parameter: Parameter)]
    /// Non-trainable state saved with the weights (batch norm's running statistics).
    func buffers(prefix: String) -> [(key: String, parameter: Parameter)]
}

extension Module {
    public func buffers(prefix: String) -> [(key: String, parameter: Parameter)] { [] }

    /// Parameters then buffers: everything a state dict holds.
    public func stateEntries() -> [(key: String, parameter: Parameter)] {
        parameters(prefix: "") + buffers(prefix: "")
    }

    public var parameterCount: Int { parameters(prefix: "").reduce(0) { $0 + $1.parameter.value.count } }

    /// Freezes or unfreezes every parameter (a frozen one gets no weight gradient).
    public func setRequiresGrad(_ flag: Bool) {
        for (_, p) in parameters(prefix: "") { p.requiresGrad = flag }
    }

    public func zeroGrad() {
        for (_, p) in parameters(prefix: "") { p.zeroGrad() }
    }
}

/// `prefix` + `name`, dot-separated: key(“model.1”, “weight”) = “model.1.weight”.
@inlinable
public func key(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
