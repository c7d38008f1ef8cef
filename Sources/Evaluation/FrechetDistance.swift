import CBLAS
import Tensor

/// The mean and covariance of a set of feature vectors, in double precision (numpy's mean and
/// np.cov(rowvar=False): the unbiased estimate, divided by n − 1).
public struct FeatureStatistics: Sendable {
    public let count: Int
    public let dimension: Int
    public let mean: [Double]
    /// dimension × dimension, row-major.
    public let covariance: [Double]

    /// Statistics of the rows of `features` [n, d]; n ≥ 2.
    public init(_ features: Tensor) {
        precondition(features.shape.count == 2 && features.shape[0] >= 2, "statistics need at least two rows")
        let (n, d) = (features.shape[0], features.shape[1])
        let x = features.scalars.map(Double.init)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += x[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = x
        for i in 0..<n { for j in 0..<d { centred[i * d + j] -= mean[j] } }
        var covariance = [Double](repeating: 0, count: d * d)
        // Σ = Xcᵀ Xc / (n − 1); dsyrk fills the upper triangle, which is then mirrored.
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), 1 / Double(n - 1), centred, Int32(d),
                    0, &covariance, Int32(d))
        for i in 0..<d { for j in 0..<i { covariance[i * d + j] = covariance[j * d + i] } }
        self.count = n; self.dimension = d; self.mean = mean; self.covariance = covariance
    }
}

public struct LinearAlgebraError: Error, CustomStringConvertible {
    public let description: String
}

/// The Fréchet distance between two Gaussians, ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁ Σ₂): FID when the
/// statistics are of Inception features. With Σ₁ = V Λ Vᵀ (LAPACK's dsyevd) and B = V √Λ restricted to the
/// eigenvalues above rounding (`rankTolerance`), Σ₁ = B Bᵀ, so Σ₁Σ₂ has the eigenvalues of the symmetric r × r
/// matrix Bᵀ Σ₂ B (r the rank: at most n − 1 for n images); tr √(Σ₁Σ₂) is the sum of their square roots.
/// pytorch-fid takes scipy's sqrtm of the non-symmetric product instead; the two agree to rounding (checked
/// against it on random features).
public func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
    precondition(a.dimension == b.dimension, "statistics of different dimensions")
    let d = a.dimension
    var meanTerm = 0.0
    for j in 0..<d { meanTerm += (a.mean[j] - b.mean[j]) * (a.mean[j] - b.mean[j]) }
    var traces = 0.0
    for j in 0..<d { traces += a.covariance[j * d + j] + b.covariance[j * d + j] }

    var vectors = a.covariance
    let values = try symmetricEigen(&vectors, dimension: d, wantVectors: true)
    let cutoff = rankTolerance(values, dimension: d)
    let kept = values.indices.filter { values[$0] > cutoff }
    let r = kept.count
    guard r > 0 else { return meanTerm + traces }
    var factor = [Double](repeating: 0, count: d * r)   // B = V √Λ, d × r
    for i in 0..<d { for (k, j) in kept.enumerated() { factor[i * r + k] = vectors[i * d + j] * values[j].squareRoot() } }
    var product = [Double](repeating: 0, count: d * r), m = [Double](repeating: 0, count: r * r)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(r), Int32(d), 1, b.covariance, Int32(d),
                factor, Int32(r), 0, &product, Int32(r))                                  // Σ₂ B
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(r), Int32(r), Int32(d), 1, factor, Int32(r),
                product, Int32(r), 0, &m, Int32(r))                                        // Bᵀ Σ₂ B
    let eigenvalues = try symmetricEigen(&m, dimension: r, wantVectors: false)
    let mCutoff = rankTolerance(eigenvalues, dimension: d)
    let traceOfRoot = eigenvalues.reduce(0) { $0 + ($1 > mCutoff ? $1.squareRoot() : 0) }
    return meanTerm + traces - 2 * traceOfRoot
}

/// Eigenvalues at or below this are rounding, not signal: d · ε · max |λ| (numpy's matrix_rank tolerance).
/// Counting them matters with fewer images than dimensions: the null space then holds d − n eigenvalues of
/// ±rounding, whose square roots (√ turns 1e-4 into 1e-2) would add up to a visible error; pytorch-fid's sqrtm
/// meets the same noise and raises "Imaginary component".
func rankTolerance(_ eigenvalues: [Double], dimension d: Int) -> Double {
    (eigenvalues.map(abs).max() ?? 0) * Double(d) * Double.ulpOfOne
}

/// The eigenvalues (ascending) of the symmetric matrix `a` (d × d, row-major; only one triangle is read),
/// and with `wantVectors` its orthonormal eigenvectors, left in `a` as columns (row-major: a[i·d + j] is
/// component i of vector j).
func symmetricEigen(_ a: inout [Double], dimension d: Int, wantVectors: Bool) throws -> [Double] {
    // LAPACK is column-major: the row-major matrix is its transpose, the same symmetric matrix, and the
    // eigenvectors come back as its columns, i.e. as rows of the row-major array; transposed below.
    var n = Int32(d), lda = Int32(d), info: Int32 = 0
    var values = [Double](repeating: 0, count: d)
    let jobz: CChar = wantVectors ? 0x56 : 0x4E, uplo: CChar = 0x55   // "V" / "N", "U"
    var workSize = 0.0, iworkSize: Int32 = 0, query: Int32 = -1
    withUnsafePointer(to: jobz) { jobz in
        withUnsafePointer(to: uplo) { uplo in
            dsyevd_(jobz, uplo, &n, &a, &lda, &values, &workSize, &query, &iworkSize, &query, &info, 1, 1)
        }
    }
    guard info == 0 else { throw LinearAlgebraError(description: "dsyevd's workspace query failed (info \(info))") }
    var lwork = Int32(workSize), liwork = iworkSize
    var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
    withUnsafePointer(to: jobz) { jobz in
        withUnsafePointer(to: uplo) { uplo in
            dsyevd_(jobz, uplo, &n, &a, &lda, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        }
    }
    guard info == 0 else {
        throw LinearAlgebraError(description: "the eigen-decomposition did not converge (dsyevd info \(info)): "
                                 + "the features hold NaN or infinite values")
    }
    if wantVectors {
        for i in 0..<d { for j in 0..<i { a.swapAt(i * d + j, j * d + i) } }
    }
    return values
}
