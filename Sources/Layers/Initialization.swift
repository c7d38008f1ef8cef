import Foundation
import Tensor

/// The `--init_type` choices of the reference (`init_weights` in networks.py).
public enum InitType: String, Codable, CaseIterable, Sendable {
    /// conv weights N(0, gain²)
    case normal
    /// xavier_normal_: N(0, gain² · 2 / (fan_in + fan_out))
    case xavier
    /// kaiming_normal_(a: 0, mode: fan_in): N(0, 2 / fan_in)
    case kaiming
}

/// `--init_type` and `--init_gain`, with the reference's defaults.
public struct WeightInit: Codable, Equatable, Sendable {
    public var type: InitType
    public var gain: Float

    public init(type: InitType = .normal, gain: Float = 0.02) {
        self.type = type; self.gain = gain
    }

    enum CodingKeys: String, CodingKey { case type = "init_type", gain = "init_gain" }
}

extension Module {
    /// Initialises as the reference: convolution weights by `type`, biases 0; batch-norm weights
    /// N(1, gain²), biases 0. Draws from `generator` in parameter order, so a seed fixes every weight.
    public func initialize(_ type: InitType, gain: Float, using generator: inout SeededGenerator) {
        for (name, p) in parameters(prefix: "") {
            let shape = p.value.shape
            if name.hasSuffix("bias") {
                p.value = Tensor(shape: shape)
            } else if shape.count == 1 {   // batch norm weight
                p.value = Tensor.randomNormal(shape, mean: 1, std: gain, using: &generator)
            } else {
                // PyTorch's fan_in = size(1)·k·k, fan_out = size(0)·k·k (for transposed convs too).
                let receptive = shape.dropFirst(2).reduce(1, *)
                let fanIn = Float(shape[1] * receptive), fanOut = Float(shape[0] * receptive)
                let std: Float
                switch type {
                case .normal: std = gain
                case .xavier: std = gain * (2 / (fanIn + fanOut)).squareRoot()
                case .kaiming: std = (2 / fanIn).squareRoot()
                }
                p.value = Tensor.randomNormal(shape, std: std, using: &generator)
            }
        }
    }
}
