import Tensor

/// PyTorch's Conv2d with a square kernel and zero padding. Keys: `weight` [Cout, Cin, k, k], `bias` [Cout].
public final class Conv2D: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int, padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        weight = Parameter(Tensor(shape: [outChannels, inChannels, kernel, kernel]))
        self.bias = bias ? Parameter(Tensor(shape: [outChannels])) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        conv2d(x, weight: x.tape.parameter(weight), bias: bias.map { x.tape.parameter($0) },
               stride: stride, padding: padding, filterCache: weight.derived { ConvFilterCache() })
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// PyTorch's ConvTranspose2d. Keys: `weight` [Cin, Cout, k, k] (PyTorch's order), `bias` [Cout].
public final class ConvTranspose2D: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int, padding: Int, outputPadding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true) {
        weight = Parameter(Tensor(shape: [inChannels, outChannels, kernel, kernel]))
        self.bias = bias ? Parameter(Tensor(shape: [outChannels])) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        convTranspose2d(x, weight: x.tape.parameter(weight), bias: bias.map { x.tape.parameter($0) },
                        stride: stride, padding: padding, outputPadding: outputPadding)
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
