import Foundation

/// Small SVG charts made by hand: no JavaScript, no fonts beyond the browser's sans-serif, readable
/// when printed. Every chart is a self-contained `<svg>` element to embed in HTML.
public enum Charts {
    /// A named line of (x, y) points.
    public struct Series: Sendable {
        /// The name the legend shows.
        public var name: String
        /// Its points, in order of x.
        public var points: [(x: Double, y: Double)]
        /// Its CSS colour: "#2563eb".
        public var colour: String
        /// A series named `name` drawn in `colour`.
        public init(name: String, points: [(x: Double, y: Double)], colour: String) {
            self.name = name
            self.points = points
            self.colour = colour
        }
    }

    /// A shaded stretch of the x axis with a label (a learning-rate phase).
    public struct Band: Sendable {
        /// The stretch `from...to` of the x axis, and the label written in it.
        public var from: Double, to: Double, label: String
        /// A band from `from` to `to` on the x axis, labelled `label`.
        public init(from: Double, to: Double, label: String) {
            self.from = from
            self.to = to
            self.label = label
        }
    }

    static let palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]
    /// The palette's colour for the `index`-th series (it repeats after five).
    public static func colour(_ index: Int) -> String { palette[index % palette.count] }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
        let magnitude = abs(value)
        return String(format: magnitude >= 10 ? "%.0f" : magnitude >= 1 ? "%.1f" : magnitude >= 0.01 ? "%.2f" : "%.1e", value)
    }

    /// About five round tick values covering lower...upper.
    static func ticks(_ lower: Double, _ upper: Double, count: Int = 5) -> [Double] {
        guard upper > lower else { return [lower] }
        let raw = (upper - lower) / Double(count)
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var v = (lower / step).rounded(.up) * step
        while v <= upper + step * 1e-9 { values.append(v); v += step }
        return values
    }

    /// A line chart with axes, grid, optional shaded bands and a legend.
    public static func lines(_ series: [Series], bands: [Band] = [], title: String, xLabel: String, yLabel: String,
                             yRange: ClosedRange<Double>? = nil, percentY: Bool = false,
                             width: Double = 720, height: Double = 320) -> String {
        let left = 64.0, right = 16.0, top = 36.0, bottom = 48.0
        let all = series.flatMap(\.points)
        let xs = all.map(\.x) + bands.flatMap { [$0.from, $0.to] }, ys = all.map(\.y)
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        let y0 = yRange?.lowerBound ?? min(0, ys.min() ?? 0), y1 = yRange?.upperBound ?? max((ys.max() ?? 1) * 1.05, y0 + 1e-9)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (min(max(y, y0), y1) - y0) / (y1 - y0)) * plotHeight }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        svg += "<text x=\"\(left)\" y=\"22\" class=\"title\">\(escape(title))</text>"
        for (i, band) in bands.enumerated() {
            let a = px(band.from), b = px(band.to)
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>", a, top, max(0, b - a), plotHeight,
                          i % 2 == 0 ? "#f1f5f9" : "#e2e8f0")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"band\" text-anchor=\"middle\">%@</text>",
                          max((a + b) / 2, left + 3.2 * Double(band.label.count)), top + 12, escape(band.label))
        }
        let yTicks = ticks(y0, y1)
        // Percent labels get as many decimals as the tick step needs (99.5%, not 100%).
        let step = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        let decimals = max(0, Int((-log10(step * 100)).rounded(.up)))
        for t in yTicks {
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", left, left + plotWidth, py(t), py(t))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@</text>", left - 6, py(t) + 4,
                          percentY ? String(format: "%.\(decimals)f%%", t * 100) : number(t))
        }
        for t in ticks(x0, x1, count: 10) {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", px(t), top + plotHeight + 16, number(t))
        }
        svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", left, left + plotWidth, top + plotHeight, top + plotHeight)
        svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", left, left, top, top + plotHeight)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\">%@</text>", left + plotWidth / 2, height - 8, escape(xLabel))
        svg += String(format: "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" class=\"label\">%@</text>", top + plotHeight / 2, escape(yLabel))
        for s in series where !s.points.isEmpty {
            let path = s.points.enumerated().map { i, p in String(format: "%@%.1f %.1f", i == 0 ? "M" : "L", px(p.x), py(p.y)) }.joined()
            svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>"
            if s.points.count <= 40 {
                for p in s.points { svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%@\"/>", px(p.x), py(p.y), s.colour) }
            }
        }
        if series.count > 1 {
            for (i, s) in series.enumerated() {
                let x = left + plotWidth - 170, y = top + 26 + Double(i) * 18
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%@\"/>", x, y - 10, s.colour)
                svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%@</text>", x + 18, y, escape(s.name))
            }
        }
        return svg + "</svg>"
    }

    /// Two overlaid histograms (as shares of each group), bins lower...upper.
    public static func histogram(correct: [Int], wrong: [Int], lower: Double, upper: Double, title: String, xLabel: String,
                                 width: Double = 350, height: Double = 260) -> String {
        let left = 48.0, right = 12.0, top = 52.0, bottom = 44.0
        let bins = max(correct.count, 1)
        let totalCorrect = max(1, correct.reduce(0, +)), totalWrong = max(1, wrong.reduce(0, +))
        let shares = (correct.map { Double($0) / Double(totalCorrect) }, wrong.map { Double($0) / Double(totalWrong) })
        let top1 = max(shares.0.max() ?? 0, shares.1.max() ?? 0, 1e-9)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let barWidth = plotWidth / Double(bins)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        svg += "<text x=\"\(left)\" y=\"20\" class=\"title\">\(escape(title))</text>"
        for t in ticks(0, top1, count: 4) {
            let y = top + (1 - t / top1) * plotHeight
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", left, left + plotWidth, y, y)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@%%</text>", left - 4, y + 4, number(t * 100))
        }
        for (group, values, colour) in [(0, shares.0, "#2563eb"), (1, shares.1, "#dc2626")] {
            for (i, v) in values.enumerated() where v > 0 {
                let h = v / top1 * plotHeight
                let x = left + Double(i) * barWidth + (group == 0 ? 1 : barWidth / 2)
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\" opacity=\"0.85\"><title>%@ %@-%@: %.1f%%</title></rect>",
                              x, top + plotHeight - h, barWidth / 2 - 1, h, colour, group == 0 ? "correct" : "wrong",
                              number(lower + Double(i) * (upper - lower) / Double(bins)), number(lower + Double(i + 1) * (upper - lower) / Double(bins)), v * 100)
            }
        }
        for t in ticks(lower, upper, count: 4) {
            let x = left + (t - lower) / (upper - lower) * plotWidth
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", x, top + plotHeight + 14, number(t))
        }
        svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", left, left + plotWidth, top + plotHeight, top + plotHeight)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\">%@</text>", left + plotWidth / 2, height - 8, escape(xLabel))
        svg += String(format: "<rect x=\"%.1f\" y=\"30\" width=\"10\" height=\"10\" fill=\"#2563eb\"/><text x=\"%.1f\" y=\"39\" class=\"legend\">correct (%d)</text>", left, left + 14, correct.reduce(0, +))
        svg += String(format: "<rect x=\"%.1f\" y=\"30\" width=\"10\" height=\"10\" fill=\"#dc2626\"/><text x=\"%.1f\" y=\"39\" class=\"legend\">wrong (%d)</text>", left + 130, left + 144, wrong.reduce(0, +))
        return svg + "</svg>"
    }

    /// The confusion matrix as a heat map: rows actual, columns predicted; the diagonal in blue and
    /// the errors in red, shaded by count on a square-root scale so single errors show.
    public static func heatMap(_ matrix: [[Int]], names: [String], title: String) -> String {
        let k = matrix.count
        let cell = 40.0, left = 70.0, top = 64.0
        let width = left + cell * Double(k) + 16, height = top + cell * Double(k) + 16
        let diagonalMax = Double(max(1, (0..<k).map { matrix[$0][$0] }.max() ?? 1))
        let offMax = Double(max(1, (0..<k).flatMap { r in (0..<k).filter { $0 != r }.map { matrix[r][$0] } }.max() ?? 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart heat\">"
        svg += "<text x=\"8\" y=\"20\" class=\"title\">\(escape(title))</text>"
        svg += String(format: "<text x=\"%.1f\" y=\"40\" text-anchor=\"middle\" class=\"label\">predicted</text>", left + cell * Double(k) / 2)
        svg += String(format: "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" class=\"label\">actual</text>", top + cell * Double(k) / 2)
        for c in 0..<k {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"tick\">%@</text>", left + (Double(c) + 0.5) * cell, top - 6, escape(names[c]))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick\">%@</text>", left - 6, top + (Double(c) + 0.5) * cell + 4, escape(names[c]))
        }
        for r in 0..<k {
            for c in 0..<k {
                let v = matrix[r][c]
                let strength = r == c ? (Double(v) / diagonalMax).squareRoot() : (Double(v) / offMax).squareRoot()
                let fill: String
                if v == 0 { fill = "#ffffff" } else if r == c {
                    fill = String(format: "rgb(%d,%d,%d)", Int(239 - 202 * strength), Int(246 - 147 * strength), Int(255 - 20 * strength))
                } else {
                    fill = String(format: "rgb(%d,%d,%d)", Int(254 - 34 * strength), Int(226 - 188 * strength), Int(226 - 188 * strength))
                }
                let x = left + Double(c) * cell, y = top + Double(r) * cell
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\" stroke=\"#e5e7eb\"><title>actual %@, predicted %@: %d</title></rect>",
                              x, y, cell, cell, fill, escape(names[r]), escape(names[c]), v)
                if v > 0 {
                    let light = strength > 0.6
                    svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"cell\" fill=\"%@\">%d</text>",
                                  x + cell / 2, y + cell / 2 + 4, light ? "#ffffff" : "#111827", v)
                }
            }
        }
        return svg + "</svg>"
    }
}
