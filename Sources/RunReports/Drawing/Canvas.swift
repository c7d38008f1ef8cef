/// An RGB raster, 8 bits per channel, interleaved, row by row from the top: the PNG figure.
///
/// Lines are anti-aliased: each pixel is covered by the fraction of it that lies within `width / 2` of
/// the polyline (distance from the pixel centre, with a one-pixel ramp), taken as the maximum over the
/// polyline's segments, so that a faint polyline of many short segments stays evenly faint.
public struct Canvas: Surface, Sendable {
    public let width: Int
    public let height: Int
    /// [height, width, 3] interleaved RGB.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "canvas of \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.red; pixels[3 * i + 1] = background.green; pixels[3 * i + 2] = background.blue
        }
    }

    /// The colour at pixel (x, y).
    public func color(x: Int, y: Int) -> Color {
        let i = 3 * (y * width + x)
        return Color(red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2])
    }

    /// Mixes `color` into pixel (x, y) with weight `alpha` (0…1).
    @inline(__always)
    mutating func blend(x: Int, y: Int, color: Color, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let a = min(alpha, 1)
        let i = 3 * (y * width + x)
        pixels[i] = UInt8((Double(pixels[i]) * (1 - a) + Double(color.red) * a).rounded())
        pixels[i + 1] = UInt8((Double(pixels[i + 1]) * (1 - a) + Double(color.green) * a).rounded())
        pixels[i + 2] = UInt8((Double(pixels[i + 2]) * (1 - a) + Double(color.blue) * a).rounded())
    }

    // MARK: - Surface

    mutating func fill(_ rect: Rect, color: Color, opacity: Double) {
        // Edges cover partial pixels: weight each pixel by the overlap of its square with the rect.
        let x0 = max(0, Int(rect.minX.rounded(.down))), x1 = min(width, Int(rect.maxX.rounded(.up)))
        let y0 = max(0, Int(rect.minY.rounded(.down))), y1 = min(height, Int(rect.maxY.rounded(.up)))
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            let coverY = min(Double(y + 1), rect.maxY) - max(Double(y), rect.minY)
            for x in x0..<x1 {
                let coverX = min(Double(x + 1), rect.maxX) - max(Double(x), rect.minX)
                blend(x: x, y: y, color: color, alpha: opacity * coverX * coverY)
            }
        }
    }

    mutating func stroke(_ paths: [[Point]], color: Color, width lineWidth: Double, opacity: Double,
                         clip: Rect?, dash: Double?) {
        let bounds = clip ?? Rect(x: 0, y: 0, width: Double(width), height: Double(height))
        let cx0 = max(0, Int(bounds.minX.rounded(.down))), cx1 = min(width, Int(bounds.maxX.rounded(.up)))
        let cy0 = max(0, Int(bounds.minY.rounded(.down))), cy1 = min(height, Int(bounds.maxY.rounded(.up)))
        guard cx0 < cx1, cy0 < cy1 else { return }
        let half = lineWidth / 2
        let reach = half + 1
        for path in paths {
            let pieces = dash.map { Canvas.dashed(path, length: $0) } ?? [path]
            for piece in pieces where !piece.isEmpty {
                // Bounding box of the piece, clipped.
                var bx0 = Double.infinity, by0 = Double.infinity, bx1 = -Double.infinity, by1 = -Double.infinity
                for p in piece { bx0 = min(bx0, p.x); by0 = min(by0, p.y); bx1 = max(bx1, p.x); by1 = max(by1, p.y) }
                let x0 = max(cx0, Int((bx0 - reach).rounded(.down))), x1 = min(cx1, Int((bx1 + reach).rounded(.up)))
                let y0 = max(cy0, Int((by0 - reach).rounded(.down))), y1 = min(cy1, Int((by1 + reach).rounded(.up)))
                guard x0 < x1, y0 < y1 else { continue }
                let maskWidth = x1 - x0
                var coverage = [Float](repeating: 0, count: maskWidth * (y1 - y0))
                let segments = piece.count == 1 ? [(piece[0], piece[0])] : zip(piece, piece.dropFirst()).map { ($0, $1) }
                for (a, b) in segments {
                    let sx0 = max(x0, Int((min(a.x, b.x) - reach).rounded(.down)))
                    let sx1 = min(x1, Int((max(a.x, b.x) + reach).rounded(.up)))
                    let sy0 = max(y0, Int((min(a.y, b.y) - reach).rounded(.down)))
                    let sy1 = min(y1, Int((max(a.y, b.y) + reach).rounded(.up)))
                    guard sx0 < sx1, sy0 < sy1 else { continue }
                    let dx = b.x - a.x, dy = b.y - a.y
                    let lengthSquared = dx * dx + dy * dy
                    for y in sy0..<sy1 {
                        let py = Double(y) + 0.5
                        for x in sx0..<sx1 {
                            let px = Double(x) + 0.5
                            // Distance from the pixel centre to the segment.
                            var t = lengthSquared > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / lengthSquared : 0
                            t = min(1, max(0, t))
                            let ex = px - (a.x + t * dx), ey = py - (a.y + t * dy)
                            let distance = (ex * ex + ey * ey).squareRoot()
                            let cover = Float(min(1, max(0, half + 0.5 - distance)))
                            let m = (y - y0) * maskWidth + (x - x0)
                            if cover > coverage[m] { coverage[m] = cover }
                        }
                    }
                }
                for y in y0..<y1 {
                    for x in x0..<x1 {
                        let c = coverage[(y - y0) * maskWidth + (x - x0)]
                        if c > 0 { blend(x: x, y: y, color: color, alpha: opacity * Double(c)) }
                    }
                }
            }
        }
    }

    /// Cuts a polyline into dashes of `length` separated by gaps of the same length.
    static func dashed(_ path: [Point], length: Double) -> [[Point]] {
        guard path.count >= 2, length > 0 else { return [path] }
        var pieces: [[Point]] = []
        var current: [Point] = [path[0]]
        var drawing = true
        var left = length  // what remains of the current dash or gap
        for (a, b) in zip(path, path.dropFirst()) {
            let segment = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            var done = 0.0
            while segment - done > left {
                done += left
                let t = done / segment
                let p = Point(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
                if drawing { current.append(p); pieces.append(current); current = [] } else { current = [p] }
                drawing.toggle()
                left = length
            }
            left -= segment - done
            if drawing { current.append(b) }
        }
        if drawing, current.count >= 2 { pieces.append(current) }
        return pieces
    }

    mutating func text(_ string: String, x: Double, baseline: Double, scale: Int, color: Color,
                       anchor: TextAnchor, bold: Bool) {
        let textWidth = Double(BitmapFont.width(of: string, scale: scale))
        let left: Double
        switch anchor {
        case .start: left = x
        case .middle: left = x - textWidth / 2
        case .end: left = x - textWidth
        }
        let originX = Int(left.rounded()), top = Int(baseline.rounded()) - BitmapFont.ascent * scale
        for (k, character) in string.enumerated() {
            drawGlyph(character, scale: scale, color: color, bold: bold) { gx, gy in
                (originX + k * BitmapFont.advance * scale + gx, top + gy)
            }
        }
    }

    mutating func verticalText(_ string: String, center: Point, scale: Int, color: Color) {
        let length = BitmapFont.width(of: string, scale: scale)
        let glyphHeight = BitmapFont.ascent * scale
        // Turned counter-clockwise: the text runs upward, the glyphs' tops face left.
        let bottom = Int((center.y + Double(length) / 2).rounded())
        let left = Int((center.x - Double(glyphHeight) / 2).rounded())
        for (k, character) in string.enumerated() {
            drawGlyph(character, scale: scale, color: color, bold: false) { gx, gy in
                (left + gy, bottom - (k * BitmapFont.advance * scale + gx) - 1)
            }
        }
    }

    /// Paints a glyph's ink pixels, each as a scale×scale block placed by `place(gx, gy)`.
    private mutating func drawGlyph(_ character: Character, scale: Int, color: Color, bold: Bool,
                                    place: (Int, Int) -> (Int, Int)) {
        let rows = BitmapFont.rows(for: character)
        for (r, bits) in rows.enumerated() where bits != 0 {
            for c in 0..<BitmapFont.glyphWidth where bits & (1 << UInt8(4 - c)) != 0 {
                for dy in 0..<scale {
                    for dx in 0..<(scale + (bold ? 1 : 0)) {
                        let (x, y) = place(c * scale + dx, r * scale + dy)
                        blend(x: x, y: y, color: color, alpha: 1)
                    }
                }
            }
        }
    }
}
