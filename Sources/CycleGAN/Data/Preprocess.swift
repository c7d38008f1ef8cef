import Tensor

/// `--preprocess`: how a training image becomes a network input (data/base_dataset.py `get_transform`).
public enum Preprocess: String, Codable, CaseIterable, Sendable {
    /// resize to load_size × load_size, then a random crop_size crop (default)
    case resize_and_crop
    /// a random crop_size crop of the image as it is
    case crop
    /// width to load_size, height keeping the aspect ratio (at least crop_size)
    case scale_width
    /// scale_width, then a random crop_size crop
    case scale_width_and_crop
    /// keep the size, rounded to a multiple of 4
    case none
}

/// The preprocessing options, as the reference's flags.
public struct PreprocessOptions: Codable, Equatable, Sendable {
    public var preprocess: Preprocess
    public var loadSize: Int
    public var cropSize: Int
    public var noFlip: Bool

    enum CodingKeys: String, CodingKey { case preprocess, loadSize = "load_size", cropSize = "crop_size", noFlip = "no_flip" }

    /// The reference's defaults: 256×256 crops of images resized to 286×286, flipped at random.
    public init(preprocess: Preprocess = .resize_and_crop, loadSize: Int = 286, cropSize: Int = 256, noFlip: Bool = false) {
        self.preprocess = preprocess; self.loadSize = loadSize; self.cropSize = cropSize; self.noFlip = noFlip
    }

    var crops: Bool { preprocess == .resize_and_crop || preprocess == .crop || preprocess == .scale_width_and_crop }

    /// The size (height, width) of an image of `height × width` after resizing, before cropping.
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch preprocess {
        case .resize_and_crop: return (loadSize, loadSize)
        case .scale_width, .scale_width_and_crop:
            if width == loadSize && height >= cropSize { return (height, width) }
            return (max(loadSize * height / width, cropSize), loadSize)
        case .crop, .none: return (height, width)
        }
    }

    /// Why an image of this size cannot be used, or nil when it can.
    public func problem(height: Int, width: Int) -> String? {
        guard crops else { return nil }
        let r = resizedSize(height: height, width: width)
        if r.height < cropSize || r.width < cropSize {
            return "is \(width)×\(height)" + (preprocess == .crop ? "" : " (\(r.width)×\(r.height) after resizing)")
                + ", smaller than --crop_size \(cropSize): lower --crop_size, raise --load_size, or use --preprocess scale_width"
        }
        return nil
    }

    /// image [C, H, W] in [0, 1] → network input [C, h, w] in [−1, 1], sides multiples of 4.
    /// Random choices (crop position, flip) come from `rng`.
    public func apply(_ image: Tensor, using rng: inout SeededGenerator) -> Tensor {
        let r = resizedSize(height: image.shape[1], width: image.shape[2])
        var x = resizeBicubic(image, height: r.height, width: r.width)
        if crops {
            let top = rng.nextInt(below: r.height - cropSize + 1), left = rng.nextInt(below: r.width - cropSize + 1)
            x = crop(x, top: top, left: left, height: cropSize, width: cropSize)
        }
        // The generator needs sides divisible by 4 (the reference's __make_power_2, base 4).
        let h4 = max(4, Int((Double(x.shape[1]) / 4).rounded()) * 4), w4 = max(4, Int((Double(x.shape[2]) / 4).rounded()) * 4)
        x = resizeBicubic(x, height: h4, width: w4)
        if !noFlip && rng.nextUniform() > 0.5 { x = flipHorizontally(x) }
        return x.map { $0 * 2 - 1 }
    }
}
