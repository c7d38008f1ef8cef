import Tensor

/// The reference's image pool (util/image_pool.py): a history of generated images that the
/// discriminator sees instead of only the newest ones. While not full, each image is stored and
/// returned; once full, with probability ½ a random stored image is returned and replaced by the new one.
public struct ImagePool: Sendable {
    public let capacity: Int
    /// Stored images, each [1, C, H, W].
    public var images: [Tensor] = []

    public init(capacity: Int) { self.capacity = capacity }

    /// images [N, C, H, W] → the same shape, image by image through the pool.
    public mutating func query(_ batch: Tensor, using rng: inout SeededGenerator) -> Tensor {
        guard capacity > 0 else { return batch }
        let perImage = batch.count / batch.n
        var out = [Float]()
        out.reserveCapacity(batch.count)
        let all = batch.scalars
        for i in 0..<batch.n {
            let image = Tensor(shape: [1] + batch.shape.dropFirst(), values: Array(all[i * perImage ..< (i + 1) * perImage]))
            if images.count < capacity {
                images.append(image)
                out += image.scalars
            } else if rng.nextUniform() > 0.5 {
                let slot = rng.nextInt(below: capacity)
                let stored = images[slot]
                if stored.shape == image.shape {
                    images[slot] = image
                    out += stored.scalars
                } else {   // sizes differ (preprocess none): keep the batch shape, still refresh the pool
                    images[slot] = image
                    out += image.scalars
                }
            } else {
                out += image.scalars
            }
        }
        return Tensor(shape: batch.shape, values: out)
    }
}
