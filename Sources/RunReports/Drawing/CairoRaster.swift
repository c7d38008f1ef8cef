import CCairo
import Foundation

/// The figures' text: DejaVu Sans (Debian's fonts-dejavu-core, found through fontconfig) at 10·scale px, whose
/// capitals are ≈ 7·scale px high. Both outputs lay text out with these metrics: the raster draws it with cairo,
/// the SVG names the same font for the viewer.
enum FigureFont {
    static let family = "DejaVu Sans"
    /// The SVG's font list: the same font first, then look-alikes a viewer may have instead.
    static let svgFamilies = "DejaVu Sans, Verdana, Bitstream Vera Sans, Arial, sans-serif"

    static func size(scale: Int) -> Double { 10 * Double(scale) }

    static func select(_ cr: OpaquePointer, scale: Int, bold: Bool) {
        cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size(scale: scale))
    }

    static func advance(_ cr: OpaquePointer, _ string: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, string, &extents)
        return extents.x_advance
    }
}

/// Text widths for a layout drawn without cairo (the SVG document), from the same font and sizes.
final class TextMeasure: @unchecked Sendable {
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    private let lock = NSLock()

    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
        cr = cairo_create(surface)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    func width(_ string: String, scale: Int, bold: Bool) -> Double {
        lock.withLock {
            FigureFont.select(cr, scale: scale, bold: bold)
            return FigureFont.advance(cr, string)
        }
    }
}

/// The PNG figure: an RGB raster drawn by cairo (anti-aliased lines and text).
public final class RasterImage: Surface, @unchecked Sendable {
    public let width: Int
    public let height: Int
    private let surface: OpaquePointer
    private let cr: OpaquePointer

    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "raster of \(width)×\(height)")
        self.width = width
        self.height = height
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        cr = cairo_create(surface)
        setColor(background, opacity: 1)
        cairo_paint(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// [height, width, 3] interleaved RGB, rows from the top.
    public var pixels: [UInt8] {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else { return [] }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width {
                let v = row[x]   // RGB24: 0x00RRGGBB in native byte order
                let i = 3 * (y * width + x)
                out[i] = UInt8((v >> 16) & 0xFF); out[i + 1] = UInt8((v >> 8) & 0xFF); out[i + 2] = UInt8(v & 0xFF)
            }
        }
        return out
    }

    /// The colour at pixel (x, y).
    public func color(x: Int, y: Int) -> Color {
        precondition((0..<width).contains(x) && (0..<height).contains(y), "pixel (\(x), \(y)) outside \(width)×\(height)")
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return .white }
        let row = UnsafeRawPointer(data + y * Int(cairo_image_surface_get_stride(surface))).assumingMemoryBound(to: UInt32.self)
        let v = row[x]
        return Color(red: UInt8((v >> 16) & 0xFF), green: UInt8((v >> 8) & 0xFF), blue: UInt8(v & 0xFF))
    }

    private func setColor(_ c: Color, opacity: Double) {
        cairo_set_source_rgba(cr, Double(c.red) / 255, Double(c.green) / 255, Double(c.blue) / 255, opacity)
    }

    // MARK: - Surface

    func textWidth(_ string: String, scale: Int, bold: Bool) -> Double {
        FigureFont.select(cr, scale: scale, bold: bold)
        return FigureFont.advance(cr, string)
    }

    func fill(_ rect: Rect, color: Color, opacity: Double) {
        setColor(color, opacity: opacity)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(cr)
    }

    func stroke(_ paths: [[Point]], color: Color, width lineWidth: Double, opacity: Double, clip: Rect?, dash: Double?) {
        cairo_save(cr)
        defer { cairo_restore(cr) }
        if let clip {
            cairo_rectangle(cr, clip.x, clip.y, clip.width, clip.height)
            cairo_clip(cr)
        }
        setColor(color, opacity: opacity)
        cairo_set_line_width(cr, lineWidth)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, dash == nil ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT)
        if let dash { var d = dash; cairo_set_dash(cr, &d, 1, 0) }
        for path in paths where !path.isEmpty {
            cairo_move_to(cr, path[0].x, path[0].y)
            for p in path.dropFirst() { cairo_line_to(cr, p.x, p.y) }
            if path.count == 1 { cairo_line_to(cr, path[0].x, path[0].y) }   // a dot (round cap)
        }
        cairo_stroke(cr)   // one stroke: overlapping segments of a faint line do not darken each other
    }

    func text(_ string: String, x: Double, baseline: Double, scale: Int, color: Color, anchor: TextAnchor, bold: Bool) {
        FigureFont.select(cr, scale: scale, bold: bold)
        let w = FigureFont.advance(cr, string)
        let left = anchor == .start ? x : anchor == .middle ? x - w / 2 : x - w
        setColor(color, opacity: 1)
        cairo_move_to(cr, left, baseline)
        cairo_show_text(cr, string)
        cairo_new_path(cr)
    }

    func verticalText(_ string: String, center: Point, scale: Int, color: Color) {
        FigureFont.select(cr, scale: scale, bold: false)
        let w = FigureFont.advance(cr, string)
        cairo_save(cr)
        cairo_translate(cr, center.x + 3.5 * Double(scale), center.y)   // baseline half the cap height right of the centre
        cairo_rotate(cr, -Double.pi / 2)
        setColor(color, opacity: 1)
        cairo_move_to(cr, -w / 2, 0)
        cairo_show_text(cr, string)
        cairo_new_path(cr)
        cairo_restore(cr)
    }
}
