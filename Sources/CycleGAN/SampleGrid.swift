import Codecs
import RunLayout
import Tensor

/// The sample grid of an iteration as one image [3, 2h + gap, k·w + gaps] in [0, 1], tiles as
/// `SampleGridLayout` names them (the first image of the batch).
public func sampleGrid(_ v: Visuals, gap: Int = 4) -> Tensor {
    let tile = ["real_A": v.realA, "fake_B": v.fakeB, "rec_A": v.recA, "idt_B": v.idtB,
                "real_B": v.realB, "fake_A": v.fakeA, "rec_B": v.recB, "idt_A": v.idtA]
    let rows = SampleGridLayout.rows(identity: v.idtA != nil && v.idtB != nil).map { $0.map { tile[$0]!! } }
    let tiles = rows.map { $0.map(firstImageAsRGB) }
    let h = tiles.flatMap { $0 }.map { $0.shape[1] }.max()!, w = tiles.flatMap { $0 }.map { $0.shape[2] }.max()!
    let cols = tiles.map(\.count).max()!
    let (H, W) = (2 * h + gap, cols * w + (cols - 1) * gap)
    var grid = Tensor(shape: [3, H, W], repeating: 1)
    for (r, row) in tiles.enumerated() {
        for (c, tile) in row.enumerated() {
            let (th, tw) = (tile.shape[1], tile.shape[2])
            for ch in 0..<3 { for y in 0..<th { for x in 0..<tw {
                grid[ch, r * (h + gap) + y, c * (w + gap) + x] = tile[ch, y, x]
            }}}
        }
    }
    return grid
}

/// [N, C, h, w] in [−1, 1] → [3, h, w] in [0, 1] (gray repeated).
private func firstImageAsRGB(_ batch: Tensor) -> Tensor {
    let (C, h, w) = (batch.c, batch.h, batch.w)
    let first = Array(batch.scalars[0 ..< C * h * w]).map { ($0 + 1) / 2 }
    let rgb = C == 3 ? first : Array([first, first, first].joined())
    return Tensor(shape: [3, h, w], values: rgb)
}

/// [N, C, h, w] or [C, h, w] in [−1, 1] → [C, h, w] in [0, 1]
public func imageFromNetwork(_ t: Tensor) -> Tensor {
    let shape = t.shape.count == 4 ? Array(t.shape.dropFirst()) : t.shape
    return Tensor(shape: shape, values: Array(t.scalars[0 ..< shape.reduce(1, *)]).map { min(max(($0 + 1) / 2, 0), 1) })
}
