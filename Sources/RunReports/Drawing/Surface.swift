/// An opaque sRGB colour.
public struct Color: Sendable, Hashable {
    public var red, green, blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red; self.green = green; self.blue = blue
    }

    /// `Color(hex: 0x1F77B4)`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// `#1f77b4`, for SVG and CSS.
    public var hexString: String {
        let digits = Array("0123456789abcdef")
        return "#" + [red, green, blue].map { String(digits[Int($0 >> 4)]) + String(digits[Int($0 & 15)]) }.joined()
    }

    public static let white = Color(hex: 0xFFFFFF)
    public static let black = Color(hex: 0x000000)
}

public struct Point: Sendable, Equatable {
    public var x, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

public struct Rect: Sendable, Equatable, Hashable {
    public var x, y, width, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var minX: Double { x }
    public var minY: Double { y }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }
}

/// Where a line of text sits relative to its `x`.
public enum TextAnchor: Sendable { case start, middle, end }

/// What a figure draws on: the PNG raster (`RasterImage`, cairo) and the SVG document (`SVGDocument`) implement
/// it, so that the figure's layout is written once and both outputs show the same picture.
///
/// Coordinates are pixels, origin top left, y down. Text is DejaVu Sans at 10·scale px (`FigureFont`): capitals
/// are about 7·scale pixels high; `textWidth` gives the advance of a line of text.
protocol Surface {
    var width: Int { get }
    var height: Int { get }

    /// The width in pixels of `string` at `scale`.
    func textWidth(_ string: String, scale: Int, bold: Bool) -> Double

    /// Fills `rect` with `color` at `opacity` (0…1).
    mutating func fill(_ rect: Rect, color: Color, opacity: Double)

    /// Strokes each path (a polyline) with round joins; draws nothing outside `clip`.
    /// `dash` = length of dashes and gaps, nil for a solid line.
    mutating func stroke(_ paths: [[Point]], color: Color, width: Double, opacity: Double, clip: Rect?, dash: Double?)

    /// Draws one line of text with its baseline at `baseline`.
    mutating func text(_ string: String, x: Double, baseline: Double, scale: Int, color: Color,
                       anchor: TextAnchor, bold: Bool)

    /// Draws one line of text turned 90° counter-clockwise (read bottom to top), centred on `center`.
    mutating func verticalText(_ string: String, center: Point, scale: Int, color: Color)
}

extension Surface {
    func textWidth(_ string: String, scale: Int) -> Double { textWidth(string, scale: scale, bold: false) }

    mutating func line(from a: Point, to b: Point, color: Color, width: Double = 1, opacity: Double = 1,
                       dash: Double? = nil) {
        stroke([[a, b]], color: color, width: width, opacity: opacity, clip: nil, dash: dash)
    }
}
