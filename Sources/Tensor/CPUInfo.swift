import CPlatform
import Foundation

/// The CPU this process runs on: its model name and the vector features the kernels care about.
public enum CPUInfo {
    /// "Intel(R) Xeon(R) Processor", from /proc/cpuinfo; "unknown" where it is not readable.
    public static let modelName: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") || line.hasPrefix("Model") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }()

    /// The features of `cplatform_cpu_has` this CPU has, widest last: e.g. ["avx2", "fma", "avx512f", …].
    public static let vectorFeatures: [String] =
        ["neon", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512bf16", "amxbf16"].filter(has)

    public static func has(_ feature: String) -> Bool { cplatform_cpu_has(feature) == 1 }

    /// AVX-512 as OpenBLAS's SkylakeX kernels need it (F, BW, VL, DQ).
    public static var hasAVX512: Bool { ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(has) }
    public static var hasAVX2: Bool { has("avx2") && has("fma") }
    /// bf16 dot products in hardware: AVX512_BF16 (Intel Cooper Lake and later, AMD Zen 4 and later) or AMX tiles.
    public static var hasBF16: Bool { has("avx512bf16") || has("amxbf16") }
}
