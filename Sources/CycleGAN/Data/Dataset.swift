import Codecs
import Dispatch
import Foundation
import RunLayout
import Tensor

/// Bad training or test data: one line naming the file or folder and what to do.
public struct DataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The image files of a folder and its subfolders (PNG and JPEG), sorted by path.
public struct ImageFolder: Sendable {
    public let path: String
    public let files: [String]

    /// Lists the images of `path`; a missing or empty folder is an error that says what to put there.
    public static func scan(_ path: String, role: String) throws -> ImageFolder {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataError("\(path) does not exist: the \(role) images go in this folder (PNG, JPEG, TIFF, BMP, PGM or PPM)")
        }
        let files = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
            .filter { ImageFile.isImageFileName($0) }
            .map { (path as NSString).appendingPathComponent($0) }
            .sorted()
        guard !files.isEmpty else {
            throw DataError("\(path) holds no .png, .jpg, .jpeg, .bmp, .pgm or .ppm images: put the \(role) images there")
        }
        return ImageFolder(path: path, files: files)
    }
}

/// Which images a run trains on, and in which order: the reference's --direction, --max_dataset_size and
/// --serial_batches.
public struct DatasetOptions: Codable, Equatable, Sendable {
    /// BtoA swaps the domains: G_A then learns trainB → trainA (and validates on testB → testA).
    public var direction: Direction
    /// The first N images of each folder, in sorted order (the reference takes the first N it lists, in the
    /// file system's order); nil: all.
    public var maxDatasetSize: Int?
    /// A in order, B at the same position (modulo its size), instead of A shuffled and B drawn at random.
    public var serialBatches: Bool

    enum CodingKeys: String, CodingKey { case direction, maxDatasetSize = "max_dataset_size", serialBatches = "serial_batches" }

    public init(direction: Direction = .AtoB, maxDatasetSize: Int? = nil, serialBatches: Bool = false) {
        self.direction = direction; self.maxDatasetSize = maxDatasetSize; self.serialBatches = serialBatches
    }

    /// Runs from before these options have none of the keys.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        direction = try c.decodeIfPresent(Direction.self, forKey: .direction) ?? .AtoB
        maxDatasetSize = try c.decodeIfPresent(Int.self, forKey: .maxDatasetSize)
        serialBatches = try c.decodeIfPresent(Bool.self, forKey: .serialBatches) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(direction, forKey: .direction)
        try c.encodeIfPresent(maxDatasetSize, forKey: .maxDatasetSize)
        try c.encode(serialBatches, forKey: .serialBatches)
    }

    /// The folder names of domain A and B under a dataroot for `phase` ("train" or "test"), swapped by BtoA.
    public func folders(_ phase: String) -> (a: String, b: String) {
        direction == .AtoB ? (phase + "A", phase + "B") : (phase + "B", phase + "A")
    }

    /// The folder, cut to `maxDatasetSize`.
    public func limited(_ folder: ImageFolder) -> ImageFolder {
        guard let n = maxDatasetSize, n < folder.files.count else { return folder }
        return ImageFolder(path: folder.path, files: Array(folder.files.prefix(n)))
    }
}

/// Decodes every file (in parallel) to check it before any training: an unreadable, corrupt or too small
/// image stops here with its name. Returns the decoded images ([C, H, W] in [0, 1]) when `keep` is true.
/// Decodes every file once (a bad one stops here, before training), keeping the images when `keep`; also says
/// whether any of them has 16 bits a sample.
func decodeAll(_ files: [String], channels: Int, preprocess: PreprocessOptions, keep: Bool) throws
    -> (images: [Tensor]?, sixteenBit: Bool) {
    let results = UnsafeMutableBufferPointer<Result<(Tensor?, Bool), Error>>.allocate(capacity: files.count)
    defer { results.deallocate() }
    let out = Unchecked(results)
    DispatchQueue.concurrentPerform(iterations: min(2, files.count)) { worker in
        for i in stride(from: worker, to: files.count, by: 2) {
            let result: Result<(Tensor?, Bool), Error> = Result {
                let (image, depth) = try ImageFile.readWithDepth(files[i], channels: channels)
                if let problem = preprocess.problem(height: image.shape[1], width: image.shape[2]) {
                    throw DataError("\(files[i]) \(problem)")
                }
                return (keep ? image : nil, depth == 16)
            }
            (out.value.baseAddress! + i).initialize(to: result)
        }
    }
    defer { results.baseAddress!.deinitialize(count: files.count) }
    var images: [Tensor] = [], sixteenBit = false
    for r in results {
        switch r {
        case .success(let (image, deep)):
            if let image { images.append(image) }
            sixteenBit = sixteenBit || deep
        case .failure(let error): throw error
        }
    }
    return (keep ? images : nil, sixteenBit)
}

/// Two unpaired image sets (the reference's UnalignedDataset): an epoch visits max(|A|, |B|) positions;
/// A follows a shuffled order, B is drawn at random. Every random choice is a pure function of
/// (seed, epoch, position), so a resumed run sees exactly the batches an uninterrupted one would.
public final class UnalignedDataset: @unchecked Sendable {
    public let folderA: ImageFolder, folderB: ImageFolder
    public let channelsA: Int, channelsB: Int
    public let preprocess: PreprocessOptions
    public let seed: UInt64
    /// The reference's --serial_batches: no shuffling, no random B.
    public let serial: Bool
    private let cacheA: [Tensor]?, cacheB: [Tensor]?
    /// Whether some image of A (of B) has 16 bits a sample.
    public let sixteenBitA: Bool, sixteenBitB: Bool

    /// Decoded images are kept in memory when they take less than this.
    public static let cacheBudgetBytes = 2_000_000_000

    public init(folderA: ImageFolder, folderB: ImageFolder, channelsA: Int, channelsB: Int,
                preprocess: PreprocessOptions, seed: UInt64, serial: Bool = false) throws {
        self.folderA = folderA; self.folderB = folderB
        self.serial = serial
        self.channelsA = channelsA; self.channelsB = channelsB
        self.preprocess = preprocess
        self.seed = seed
        // Estimate decoded size from the first image; decode everything once anyway to check it.
        let first = try ImageFile.size(folderA.files[0])
        let estimate = (folderA.files.count * channelsA + folderB.files.count * channelsB) * first.width * first.height * 4
        let keep = estimate < Self.cacheBudgetBytes
        (cacheA, sixteenBitA) = try decodeAll(folderA.files, channels: channelsA, preprocess: preprocess, keep: keep)
        (cacheB, sixteenBitB) = try decodeAll(folderB.files, channels: channelsB, preprocess: preprocess, keep: keep)
    }

    public var epochSize: Int { max(folderA.files.count, folderB.files.count) }

    /// The order in which epoch `epoch` visits A.
    func permutation(epoch: Int) -> [Int] {
        var rng = SeededGenerator(seed: mix(seed, UInt64(epoch), 0))
        var order = Array(0..<epochSize)
        if serial { return order }
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        return order
    }

    /// The preprocessed pair at `position` of `epoch` given that epoch's permutation: ([C, h, w], [C, h, w]).
    func sample(epoch: Int, position: Int, order: [Int]) throws -> (a: Tensor, b: Tensor, pathA: String, pathB: String) {
        var rng = SeededGenerator(seed: mix(seed, UInt64(epoch), UInt64(position) + 1))
        let ia = order[position] % folderA.files.count
        let draw = rng.nextInt(below: folderB.files.count)   // drawn either way: crops and flips see the same stream
        let ib = serial ? position % folderB.files.count : draw
        let a = try cacheA?[ia] ?? ImageFile.read(folderA.files[ia], channels: channelsA)
        let b = try cacheB?[ib] ?? ImageFile.read(folderB.files[ib], channels: channelsB)
        return (preprocess.apply(a, using: &rng), preprocess.apply(b, using: &rng), folderA.files[ia], folderB.files[ib])
    }
}

/// Combines words into one seed (each step through SplitMix64's finaliser).
func mix(_ words: UInt64...) -> UInt64 {
    words.reduce(0x243F_6A88_85A3_08D3) { h, w in
        var x = (h ^ w) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}
