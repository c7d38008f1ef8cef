import CBLAS
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
    /// orthogonal_(gain): the weight as a size(0) × rest matrix with orthonormal rows (or columns, when it is
    /// tall), times gain
    case orthogonal
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
                case .orthogonal:
                    p.value = orthogonalWeights(shape, gain: gain, using: &generator)
                    continue
                }
                p.value = Tensor.randomNormal(shape, std: std, using: &generator)
            }
        }
    }
}

/// torch.nn.init.orthogonal_: a standard normal matrix of size(0) rows by the remaining elements, the Q of
/// its QR decomposition (of its transpose when it is wide, so that Q is tall) with each column's sign that of
/// R's diagonal, times `gain`. QR by LAPACK (dgeqrf, dorgqr), in double precision.
func orthogonalWeights(_ shape: [Int], gain: Float, using generator: inout SeededGenerator) -> Tensor {
    let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
    let wide = rows < cols
    var m = Int32(max(rows, cols)), n = Int32(min(rows, cols)), info: Int32 = 0
    // Column-major m × n: the tall matrix. For a wide W that is Wᵀ, whose column-major layout is W's row-major one.
    let normal = Tensor.randomNormal([rows, cols], std: 1, using: &generator).scalars.map(Double.init)
    var a = wide ? normal : (0..<(rows * cols)).map { k in normal[(k % rows) * cols + k / rows] }
    var tau = [Double](repeating: 0, count: Int(n)), lda = m
    var size = 0.0, query: Int32 = -1
    dgeqrf_(&m, &n, &a, &lda, &tau, &size, &query, &info)
    var lwork = Int32(max(size, Double(n))), work = [Double](repeating: 0, count: Int(lwork))
    dgeqrf_(&m, &n, &a, &lda, &tau, &work, &lwork, &info)
    precondition(info == 0, "dgeqrf failed (info \(info))")
    let signs = (0..<Int(n)).map { j in a[j + j * Int(m)] < 0 ? -1.0 : 1.0 }
    var k = n
    dorgqr_(&m, &n, &k, &a, &lda, &tau, &size, &query, &info)
    lwork = Int32(max(size, Double(n))); work = [Double](repeating: 0, count: Int(lwork))
    dorgqr_(&m, &n, &k, &a, &lda, &tau, &work, &lwork, &info)
    precondition(info == 0, "dorgqr failed (info \(info))")
    // Q (m × n, column-major) with its columns' signs; W = Q, or Qᵀ when wide.
    var w = [Float](repeating: 0, count: rows * cols)
    for i in 0..<rows {
        for j in 0..<cols {
            let (r, c) = wide ? (j, i) : (i, j)   // the entry of Q
            w[i * cols + j] = Float(a[r + c * Int(m)] * signs[c]) * gain
        }
    }
    return Tensor(shape: shape, values: w)
}
