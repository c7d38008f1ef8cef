import Codecs
import Foundation
import Tensor

/// The Inception network of FID and KID: pytorch-fid's `InceptionV3([3])`, i.e. the TensorFlow FID
/// Inception of 2015 (torchvision's Inception3 with pytorch-fid's FIDInceptionA/C/E_1/E_2 patches), up to
/// the 2048-d average pool. Inference only: each BasicConv2d's batch norm (eps 0.001, running statistics) is
/// folded into its convolution when the weights are loaded.
///
/// The weights are pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`, read with the native `.pth` reader;
/// the classifier (`fc.*`) is not used. Preprocessing is pytorch-fid's: images in [0, 1] (PIL's RGB, as
/// ToTensor gives them), resized to 299 × 299 by bilinear interpolation without antialiasing, then scaled
/// to [−1, 1].
public final class InceptionV3: Sendable {
    public static let weightsFileName = "pt_inception-2015-12-05-6726825d.pth"
    public static let weightsURL =
        "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
    /// The environment variable that names the weights when `--inception` is not given.
    public static let environmentVariable = "CYCLEGAN_INCEPTION"
    public static let featureCount = 2048
    public static let inputSize = 299

    /// One BasicConv2d, batch norm folded in: weight [Cout, Cin·kh·kw], bias [Cout].
    struct Layer: Sendable {
        let shape: ConvShape
        let weight: Tensor
        let bias: [Float]
    }

    private let layers: [String: Layer]

    /// The network from a state dict of the FID Inception (pytorch-fid's file, or one with its keys).
    /// Another network's file, or a missing or misshapen tensor, is an `InceptionWeightsError`.
    public convenience init(weights file: TorchFile) throws {
        try self.init(path: file.path, entries: file.entries)
    }

    public convenience init(path: String) throws {
        try self.init(weights: try TorchFile(path: path))
    }

    /// `path` names the source in errors.
    init(path: String, entries: [TorchFile.Entry]) throws {
        let byKey = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var layers: [String: Layer] = [:]
        for (name, shape) in Self.architecture {
            layers[name] = try Self.foldedLayer(name, shape, byKey, path: path)
        }
        self.layers = layers
    }

    private static func foldedLayer(_ name: String, _ shape: ConvShape, _ entries: [String: TorchFile.Entry],
                                    path: String) throws -> Layer {
        let (cin, cout) = (shape.inChannels, shape.outChannels)
        func tensor(_ key: String, _ expected: [Int]) throws -> [Float] {
            guard let entry = entries[key] else {
                throw InceptionWeightsError(path: path, problem: "has no \(key)")
            }
            guard entry.shape == expected else {
                throw InceptionWeightsError(path: path, problem: "has \(key) of shape \(entry.shape), not \(expected)")
            }
            return entry.values
        }
        let kernel = try tensor("\(name).conv.weight", [cout, cin, shape.kernel.height, shape.kernel.width])
        let gamma = try tensor("\(name).bn.weight", [cout]), beta = try tensor("\(name).bn.bias", [cout])
        let mean = try tensor("\(name).bn.running_mean", [cout]), variance = try tensor("\(name).bn.running_var", [cout])
        let patch = cin * shape.kernel.height * shape.kernel.width
        var weight = [Float](repeating: 0, count: cout * patch), bias = [Float](repeating: 0, count: cout)
        for o in 0..<cout {
            // BatchNorm2d in eval mode: (z − mean) / √(var + eps) · γ + β, with z the convolution's output.
            let scale = gamma[o] / (variance[o] + 0.001).squareRoot()
            for i in 0..<patch { weight[o * patch + i] = kernel[o * patch + i] * scale }
            bias[o] = beta[o] - mean[o] * scale
        }
        return Layer(shape: shape, weight: Tensor(shape: [cout, patch], values: weight), bias: bias)
    }

    // MARK: - Features

    /// The 2048-d pool3 features of each image ([3, H, W] with values in [0, 1]), as rows of [N, 2048].
    /// Always in f32, also inside a bf16 run's validation: a score must not depend on the run's precision.
    public func features(_ images: [Tensor]) -> Tensor {
        Precision.$current.withValue(.f32) { f32Features(images) }
    }

    private func f32Features(_ images: [Tensor]) -> Tensor {
        precondition(!images.isEmpty && images.allSatisfy { $0.shape.count == 3 && $0.shape[0] == 3 },
                     "Inception takes RGB images [3, H, W]")
        let side = Self.inputSize
        var x = FeatureMaps(channels: 3, images: images.count, height: side, width: side)
        x.values.withUnsafeMutableBufferPointer { batch in
            for (n, image) in images.enumerated() {
                let resized = resizeBilinear(image, height: side, width: side)
                resized.withUnsafeBufferPointer { src in
                    for c in 0..<3 {
                        let from = src.baseAddress! + c * side * side
                        let to = batch.baseAddress! + (c * images.count + n) * side * side
                        for i in 0..<side * side { to[i] = 2 * from[i] - 1 }
                    }
                }
            }
        }
        return globalAverage(blocks(x).last!)
    }

    /// The outputs of pytorch-fid's four blocks (up to the first max pool, the second, Mixed_6e, Mixed_7c).
    func blocks(_ input: FeatureMaps) -> [FeatureMaps] {
        var x = conv("Conv2d_1a_3x3", input)
        x = conv("Conv2d_2a_3x3", x)
        x = conv("Conv2d_2b_3x3", x)
        let block0 = pool(x, .max, kernel: 3, stride: 2, padding: 0)
        x = conv("Conv2d_3b_1x1", block0)
        x = conv("Conv2d_4a_3x3", x)
        let block1 = pool(x, .max, kernel: 3, stride: 2, padding: 0)
        x = block1
        for name in ["Mixed_5b", "Mixed_5c", "Mixed_5d"] { x = inceptionA(name, x) }
        x = inceptionB("Mixed_6a", x)
        for name in ["Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"] { x = inceptionC(name, x) }
        let block2 = x
        x = inceptionD("Mixed_7a", x)
        x = inceptionE("Mixed_7b", x, pooling: .averageOfInside)
        // pytorch-fid's FIDInceptionE_2: the FID network max-pools here, where the paper averages.
        x = inceptionE("Mixed_7c", x, pooling: .max)
        return [block0, block1, block2, x]
    }

    private func conv(_ name: String, _ x: FeatureMaps) -> FeatureMaps {
        let layer = layers[name]!
        return convReLU(x, layer.shape, weight: layer.weight, bias: layer.bias)
    }

    private func inceptionA(_ name: String, _ x: FeatureMaps) -> FeatureMaps {
        let b1 = conv("\(name).branch1x1", x)
        let b5 = conv("\(name).branch5x5_2", conv("\(name).branch5x5_1", x))
        let b3 = conv("\(name).branch3x3dbl_3", conv("\(name).branch3x3dbl_2", conv("\(name).branch3x3dbl_1", x)))
        let bp = conv("\(name).branch_pool", pool(x, .averageOfInside, kernel: 3, stride: 1, padding: 1))
        return concatenate([b1, b5, b3, bp])
    }

    private func inceptionB(_ name: String, _ x: FeatureMaps) -> FeatureMaps {
        let b3 = conv("\(name).branch3x3", x)
        let bd = conv("\(name).branch3x3dbl_3", conv("\(name).branch3x3dbl_2", conv("\(name).branch3x3dbl_1", x)))
        return concatenate([b3, bd, pool(x, .max, kernel: 3, stride: 2, padding: 0)])
    }

    private func inceptionC(_ name: String, _ x: FeatureMaps) -> FeatureMaps {
        let b1 = conv("\(name).branch1x1", x)
        var b7 = x
        for i in 1...3 { b7 = conv("\(name).branch7x7_\(i)", b7) }
        var bd = x
        for i in 1...5 { bd = conv("\(name).branch7x7dbl_\(i)", bd) }
        let bp = conv("\(name).branch_pool", pool(x, .averageOfInside, kernel: 3, stride: 1, padding: 1))
        return concatenate([b1, b7, bd, bp])
    }

    private func inceptionD(_ name: String, _ x: FeatureMaps) -> FeatureMaps {
        let b3 = conv("\(name).branch3x3_2", conv("\(name).branch3x3_1", x))
        var b7 = x
        for i in 1...4 { b7 = conv("\(name).branch7x7x3_\(i)", b7) }
        return concatenate([b3, b7, pool(x, .max, kernel: 3, stride: 2, padding: 0)])
    }

    private func inceptionE(_ name: String, _ x: FeatureMaps, pooling: Pooling) -> FeatureMaps {
        let b1 = conv("\(name).branch1x1", x)
        let b3 = conv("\(name).branch3x3_1", x)
        let b3s = concatenate([conv("\(name).branch3x3_2a", b3), conv("\(name).branch3x3_2b", b3)])
        let bd = conv("\(name).branch3x3dbl_2", conv("\(name).branch3x3dbl_1", x))
        let bds = concatenate([conv("\(name).branch3x3dbl_3a", bd), conv("\(name).branch3x3dbl_3b", bd)])
        let bp = conv("\(name).branch_pool", pool(x, pooling, kernel: 3, stride: 1, padding: 1))
        return concatenate([b1, b3s, bds, bp])
    }

    // MARK: - Architecture

    /// Every BasicConv2d of the network by state-dict prefix, with its geometry (torchvision's Inception3
    /// blocks; the topology is in `blocks`).
    static let architecture: [(String, ConvShape)] = {
        var layers: [(String, ConvShape)] = []
        func add(_ name: String, _ cin: Int, _ cout: Int, _ k: (Int, Int), stride: Int = 1, padding: (Int, Int) = (0, 0)) {
            layers.append((name, ConvShape(inChannels: cin, outChannels: cout, kernel: k, stride: stride, padding: padding)))
        }
        add("Conv2d_1a_3x3", 3, 32, (3, 3), stride: 2)
        add("Conv2d_2a_3x3", 32, 32, (3, 3))
        add("Conv2d_2b_3x3", 32, 64, (3, 3), padding: (1, 1))
        add("Conv2d_3b_1x1", 64, 80, (1, 1))
        add("Conv2d_4a_3x3", 80, 192, (3, 3))
        for (name, cin, poolFeatures) in [("Mixed_5b", 192, 32), ("Mixed_5c", 256, 64), ("Mixed_5d", 288, 64)] {
            add("\(name).branch1x1", cin, 64, (1, 1))
            add("\(name).branch5x5_1", cin, 48, (1, 1))
            add("\(name).branch5x5_2", 48, 64, (5, 5), padding: (2, 2))
            add("\(name).branch3x3dbl_1", cin, 64, (1, 1))
            add("\(name).branch3x3dbl_2", 64, 96, (3, 3), padding: (1, 1))
            add("\(name).branch3x3dbl_3", 96, 96, (3, 3), padding: (1, 1))
            add("\(name).branch_pool", cin, poolFeatures, (1, 1))
        }
        add("Mixed_6a.branch3x3", 288, 384, (3, 3), stride: 2)
        add("Mixed_6a.branch3x3dbl_1", 288, 64, (1, 1))
        add("Mixed_6a.branch3x3dbl_2", 64, 96, (3, 3), padding: (1, 1))
        add("Mixed_6a.branch3x3dbl_3", 96, 96, (3, 3), stride: 2)
        for (name, c7) in [("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)] {
            add("\(name).branch1x1", 768, 192, (1, 1))
            add("\(name).branch7x7_1", 768, c7, (1, 1))
            add("\(name).branch7x7_2", c7, c7, (1, 7), padding: (0, 3))
            add("\(name).branch7x7_3", c7, 192, (7, 1), padding: (3, 0))
            add("\(name).branch7x7dbl_1", 768, c7, (1, 1))
            add("\(name).branch7x7dbl_2", c7, c7, (7, 1), padding: (3, 0))
            add("\(name).branch7x7dbl_3", c7, c7, (1, 7), padding: (0, 3))
            add("\(name).branch7x7dbl_4", c7, c7, (7, 1), padding: (3, 0))
            add("\(name).branch7x7dbl_5", c7, 192, (1, 7), padding: (0, 3))
            add("\(name).branch_pool", 768, 192, (1, 1))
        }
        add("Mixed_7a.branch3x3_1", 768, 192, (1, 1))
        add("Mixed_7a.branch3x3_2", 192, 320, (3, 3), stride: 2)
        add("Mixed_7a.branch7x7x3_1", 768, 192, (1, 1))
        add("Mixed_7a.branch7x7x3_2", 192, 192, (1, 7), padding: (0, 3))
        add("Mixed_7a.branch7x7x3_3", 192, 192, (7, 1), padding: (3, 0))
        add("Mixed_7a.branch7x7x3_4", 192, 192, (3, 3), stride: 2)
        for (name, cin) in [("Mixed_7b", 1280), ("Mixed_7c", 2048)] {
            add("\(name).branch1x1", cin, 320, (1, 1))
            add("\(name).branch3x3_1", cin, 384, (1, 1))
            add("\(name).branch3x3_2a", 384, 384, (1, 3), padding: (0, 1))
            add("\(name).branch3x3_2b", 384, 384, (3, 1), padding: (1, 0))
            add("\(name).branch3x3dbl_1", cin, 448, (1, 1))
            add("\(name).branch3x3dbl_2", 448, 384, (3, 3), padding: (1, 1))
            add("\(name).branch3x3dbl_3a", 384, 384, (1, 3), padding: (0, 1))
            add("\(name).branch3x3dbl_3b", 384, 384, (3, 1), padding: (1, 0))
            add("\(name).branch_pool", cin, 192, (1, 1))
        }
        return layers
    }()
}

/// A weights file that is not the FID Inception network.
public struct InceptionWeightsError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String {
        "\(path) \(problem): it is not the FID Inception network; --inception takes pytorch-fid's "
            + "\(InceptionV3.weightsFileName) (\(InceptionV3.weightsURL))"
    }
}
