/// The figure as an SVG document: the same drawing calls as the PNG, written as vector elements. Text stays
/// text (selectable, searchable, small), set in DejaVu Sans as the PNG is, and laid out with its metrics.
public struct SVGDocument: Surface, Sendable {
    public let width: Int
    public let height: Int
    private let measure = TextMeasure()
    private var body: [String] = []
    private var clipIDs: [Rect: String] = [:]
    private var definitions: [String] = []

    public init(width: Int, height: Int, background: Color = .white) {
        self.width = width
        self.height = height
        body.append(#"<rect width="100%" height="100%" fill="\#(background.hexString)"/>"#)
    }

    /// The complete document. `responsive` drops the fixed size so that the figure scales to its container
    /// (for embedding inline in HTML); the aspect ratio is kept by the viewBox.
    public func rendered(responsive: Bool = false) -> String {
        // Inline in HTML the namespace is implied; a standalone file needs it.
        let opening = responsive ? #"<svg width="100%""# : #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)""#
        var out = [opening + #" viewBox="0 0 \#(width) \#(height)" "#
                   + #"font-family="\#(FigureFont.svgFamilies)">"#]
        if !definitions.isEmpty { out.append("<defs>" + definitions.joined() + "</defs>") }
        out += body
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - Surface

    func textWidth(_ string: String, scale: Int, bold: Bool) -> Double { measure.width(string, scale: scale, bold: bold) }

    mutating func fill(_ rect: Rect, color: Color, opacity: Double) {
        body.append(#"<rect x="\#(n(rect.x))" y="\#(n(rect.y))" width="\#(n(rect.width))" height="\#(n(rect.height))" "#
                    + #"fill="\#(color.hexString)"\#(opacityAttribute("fill-opacity", opacity))/>"#)
    }

    mutating func stroke(_ paths: [[Point]], color: Color, width lineWidth: Double, opacity: Double,
                         clip: Rect?, dash: Double?) {
        let data = paths.filter { !$0.isEmpty }.map { path -> String in
            let points = path.count == 1 ? [path[0], path[0]] : path
            return "M" + points.map { "\(n($0.x)) \(n($0.y))" }.joined(separator: "L")
        }.joined()
        guard !data.isEmpty else { return }
        var attributes = #"fill="none" stroke="\#(color.hexString)" stroke-width="\#(n(lineWidth))""#
            + #" stroke-linejoin="round" stroke-linecap="\#(dash == nil ? "round" : "butt")""#
            + opacityAttribute("stroke-opacity", opacity)
        if let dash { attributes += #" stroke-dasharray="\#(n(dash))""# }
        if let clip { attributes += #" clip-path="url(#\#(clipID(clip)))""# }
        body.append(#"<path d="\#(data)" \#(attributes)/>"#)
    }

    mutating func text(_ string: String, x: Double, baseline: Double, scale: Int, color: Color,
                       anchor: TextAnchor, bold: Bool) {
        let anchorName = anchor == .start ? "start" : anchor == .middle ? "middle" : "end"
        body.append(#"<text x="\#(n(x))" y="\#(n(baseline))" font-size="\#(n(FigureFont.size(scale: scale)))" "#
                    + #"text-anchor="\#(anchorName)" fill="\#(color.hexString)"\#(bold ? #" font-weight="bold""# : "")>"#
                    + xmlEscaped(string) + "</text>")
    }

    mutating func verticalText(_ string: String, center: Point, scale: Int, color: Color) {
        // The baseline sits 3.5·scale right of the centre (half the cap height).
        let baselineX = center.x + 3.5 * Double(scale)
        body.append(#"<text x="0" y="0" font-size="\#(n(FigureFont.size(scale: scale)))" text-anchor="middle" fill="\#(color.hexString)" "#
                    + #"transform="translate(\#(n(baselineX)) \#(n(center.y))) rotate(-90)">"#
                    + xmlEscaped(string) + "</text>")
    }

    // MARK: - Helpers

    private mutating func clipID(_ rect: Rect) -> String {
        if let id = clipIDs[rect] { return id }
        let id = "clip\(clipIDs.count)"
        clipIDs[rect] = id
        definitions.append(#"<clipPath id="\#(id)"><rect x="\#(n(rect.x))" y="\#(n(rect.y))" "#
                           + #"width="\#(n(rect.width))" height="\#(n(rect.height))"/></clipPath>"#)
        return id
    }

    private func opacityAttribute(_ name: String, _ opacity: Double) -> String {
        opacity >= 1 ? "" : #" \#(name)="\#(n(opacity))""#
    }

    /// A coordinate with at most two decimals, without trailing zeros.
    private func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        if text.contains("e") { return "0" }
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML and HTML text and attributes.
func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}
