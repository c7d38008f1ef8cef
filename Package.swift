// swift-tools-version: 6.0
import PackageDescription

// On x86-64 the Swift targets are compiled for Haswell's features (AVX2 + FMA, x86-64-v3, a name the clang
// importer refuses): for the baseline (SSE2) Swift emits `SIMD.addingProduct` as a libm call per element
// (docs/native-libraries.md). CPlatform stops the binary with one line on an older CPU instead of a SIGILL. Other architectures need no flag: AArch64's baseline
// has NEON and fused multiply-add. (The condition is the build machine's architecture: Package.swift runs
// there.)
#if arch(x86_64)
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let fast: [SwiftSetting] = []
#endif

let package = Package(
    name: "CycleGAN",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cyclegan", targets: ["cyclegan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // MARK: native libraries
        .systemLibrary(name: "CBLAS", path: "Sources/Native/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/Native/CPNG", pkgConfig: "libpng16",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/Native/CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/Native/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CTIFF", path: "Sources/Native/CTIFF", pkgConfig: "libtiff-4",
                       providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CCairo", path: "Sources/Native/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev", "fonts-dejavu-core"])]),
        // C that must hold control: libpng's setjmp error handling, HDF5's macro constants, libtiff's variadic
        // field access.
        .target(name: "CShims", dependencies: ["CPNG", "CHDF5", "CTIFF"], path: "Sources/Native/CShims"),
        // What only C can ask of the CPU and libc: the affinity mask, feature tests, stdout's buffering;
        // compiled for the baseline.
        .target(name: "CPlatform", path: "Sources/Native/CPlatform"),
        // bf16 products through oneDNN, opened at run time (`--precision bf16` only); optimised in debug
        // builds too, for its rounding loop.
        .target(name: "CDNNL", path: "Sources/Native/CDNNL",
                cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("dl")]),

        // MARK: Swift layers, bottom to top
        // The run folder's names (files, CSV columns, networks, directions), shared by writer and readers.
        .target(name: "RunLayout"),
        .target(name: "Tensor",
                dependencies: ["CBLAS", "CPlatform", "CDNNL", .product(name: "RealModule", package: "swift-numerics")],
                swiftSettings: fast),
        .target(name: "Codecs", dependencies: ["Tensor", "CShims", "CTurboJPEG",
                                              .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: fast),
        .target(name: "Layers", dependencies: ["Tensor", "CBLAS"], swiftSettings: fast),
        // The FID Inception network (inference only), FID, KID, PSNR and SSIM: measures, no training code.
        // Optimised in debug builds too: the tests run the 299² network dozens of times, 3–4 s per image unoptimised.
        .target(name: "Evaluation", dependencies: ["Tensor", "Codecs", "CBLAS"],
                swiftSettings: fast + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "CycleGAN", dependencies: ["Tensor", "Layers", "Codecs", "Evaluation", "RunLayout"],
                swiftSettings: fast),
        // `cyclegan bench`: kernel and step timings, the analytic FLOP count, /proc measurements.
        .target(name: "Benchmarks", dependencies: ["CycleGAN", "Layers", "Tensor"], swiftSettings: fast),
        // Loss curves, terminal summaries and the HTML run report: reads run folders, needs no network code.
        .target(name: "RunReports", dependencies: ["Codecs", "RunLayout", "CCairo"], swiftSettings: fast),
        .executableTarget(name: "cyclegan",
                          dependencies: ["CycleGAN", "Evaluation", "Benchmarks", "RunReports", "RunLayout", "CPlatform",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: fast),

        // MARK: tests
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], swiftSettings: fast),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs"], resources: [.copy("Fixtures")],
                    swiftSettings: fast),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Codecs", "Tensor"],
                    resources: [.copy("Fixtures")], swiftSettings: fast),
        .testTarget(name: "LayersTests", dependencies: ["Layers"], swiftSettings: fast),
        .testTarget(name: "CycleGANTests", dependencies: ["CycleGAN", "Evaluation", "Benchmarks", "RunReports"], resources: [.copy("Fixtures")],
                    swiftSettings: fast),
        // The command line's own logic (option parsing, defaults), without running the binary.
        .testTarget(name: "cycleganTests", dependencies: ["cyclegan", "CycleGAN", "Layers"], swiftSettings: fast),
        .testTarget(name: "RunReportsTests", dependencies: ["RunReports", "Codecs"], swiftSettings: fast),
    ]
)
