extension InkFinding.Polarity {
    /// The widest a shade may vary along the border of a plain picture (0...1): a scan's paper, or
    /// a drawing's.
    static let plainTolerance: Float = 0.08

    /// Plain or photo, and which way the ink goes, from a picture's coarse plane (grey levels 0...1).
    ///
    /// - **Plain**: at least half the border is within `plainTolerance` of its commonest shade (the
    ///   paper), even where ink reaches the border, as in a crop with no margin, and under 6% of the
    ///   picture is shade between paper and ink away from any ink (`shadeAwayFromInk`). The ink is what
    ///   departs furthest from the paper: the darkest 0.5% against the lightest 0.5%.
    /// - **A narrow crop** (`narrowCrop`): less than half the border is the paper, and the picture
    ///   is a '1' cut to its stroke.
    /// - **Two-tone border**: less than half the border is the paper, and the border is two flat
    ///   shades far apart (a crop so tight that ink covers much of its border): the shade less
    ///   present on the border is the ink.
    /// - **Photo**: light and shade vary along the border. Ink on paper is dark; a board (most of
    ///   the picture under 0.35, and its lightest marks departing from it further than its darkest
    ///   by 0.2) has light chalk.
    static func reading(_ plane: InkFinding.Plane) -> InkFinding.Polarity {
        let border = borderValues(plane)
        let paper = commonestShade(border)
        let plainShare = Float(border.filter { abs($0 - paper) <= plainTolerance }.count) / Float(max(border.count, 1))
        let histogram = InkFinding.Histogram(plane.values)
        var below = paper - histogram.percentile(0.005)
        var above = histogram.percentile(0.995) - paper
        if max(below, above) < plainTolerance {
            // A mark smaller than 0.5% of the picture: the extremes themselves.
            below = paper - (plane.values.min() ?? paper)
            above = (plane.values.max() ?? paper) - paper
        }
        if plainShare >= 0.5, shadeAwayFromInk(plane, paper: paper, inkLevel: below >= above ? paper - below : paper + above) < 0.06 {
            let onPaper = border.filter { abs($0 - paper) <= plainTolerance }
            let noise = 1.4826 * InkFinding.percentile(onPaper.map { abs($0 - paper) }, 0.5)
            return .init(inkIsDark: below >= above, isPhoto: false, paper: paper, paperNoise: noise)
        }
        if let narrow = narrowCrop(plane) { return narrow }
        // Two flat shades on the border, far apart: a tight crop with much ink on its border.
        let threshold = otsuThreshold(border)
        let dark = border.filter { $0 < threshold }, light = border.filter { $0 >= threshold }
        if !dark.isEmpty, !light.isEmpty {
            let (majority, minority) = dark.count >= light.count ? (dark, light) : (light, dark)
            let majorityLevel = InkFinding.percentile(majority, 0.5), minorityLevel = InkFinding.percentile(minority, 0.5)
            let majoritySpread = InkFinding.percentile(majority.map { abs($0 - majorityLevel) }, 0.5)
            if majoritySpread <= 0.03, abs(majorityLevel - minorityLevel) >= 0.25,
               shadeAwayFromInk(plane, paper: majorityLevel, inkLevel: minorityLevel) < 0.06 {
                return .init(inkIsDark: minorityLevel < majorityLevel, isPhoto: false, paper: majorityLevel,
                             paperNoise: 1.4826 * majoritySpread)
            }
        }
        return photo(plane)
    }

    /// A crop of a narrow character to its ink (a '1' cut to its stroke): a picture at least 2.2
    /// times as long as it is wide, of two shades far apart (at least 0.25), where the stroke's ends
    /// cover most of the short sides, beside some paper. The shade that covers most of the short
    /// sides is the ink. Nil for any other picture.
    static func narrowCrop(_ plane: InkFinding.Plane) -> InkFinding.Polarity? {
        let width = plane.width, height = plane.height
        guard 5 * max(width, height) >= 11 * min(width, height) else { return nil }
        let threshold = otsuThreshold(plane.values)
        let dark = plane.values.filter { $0 < threshold }, light = plane.values.filter { $0 >= threshold }
        guard !dark.isEmpty, !light.isEmpty else { return nil }
        let darkLevel = InkFinding.percentile(dark, 0.5), lightLevel = InkFinding.percentile(light, 0.5)
        guard lightLevel - darkLevel >= 0.25 else { return nil }
        var ends: [Float] = []
        if height > width {
            ends = Array(plane.values[0..<width]) + Array(plane.values[((height - 1) * width)..<(height * width)])
        } else {
            for y in 0..<height { ends.append(plane.values[y * width]); ends.append(plane.values[y * width + width - 1]) }
        }
        // The ends hold mostly the stroke, and some paper beside it (a margin's ends are all paper).
        let darkEnds = ends.filter { $0 < threshold }.count
        guard 3 * darkEnds >= 2 * ends.count || 3 * darkEnds <= ends.count else { return nil }
        guard darkEnds > 0, darkEnds < ends.count else { return nil }
        let inkIsDark = 2 * darkEnds > ends.count
        let paper = inkIsDark ? light : dark, level = inkIsDark ? lightLevel : darkLevel
        return .init(inkIsDark: inkIsDark, isPhoto: false, paper: level,
                     paperNoise: 1.4826 * InkFinding.percentile(paper.map { abs($0 - level) }, 0.5))
    }

    /// The two plain readings of a picture of two shades far apart (by Otsu's threshold, at least
    /// 0.25): the commoner shade the ink (a crop so tight that the ink is most of it), then the
    /// other. Empty for any other picture.
    static func twoTone(_ plane: InkFinding.Plane) -> [InkFinding.Polarity] {
        let threshold = otsuThreshold(plane.values)
        let dark = plane.values.filter { $0 < threshold }, light = plane.values.filter { $0 >= threshold }
        guard !dark.isEmpty, !light.isEmpty else { return [] }
        let darkLevel = InkFinding.percentile(dark, 0.5), lightLevel = InkFinding.percentile(light, 0.5)
        guard lightLevel - darkLevel >= 0.25 else { return [] }
        func reading(inkIsDark: Bool) -> InkFinding.Polarity {
            let paper = inkIsDark ? light : dark, level = inkIsDark ? lightLevel : darkLevel
            return .init(inkIsDark: inkIsDark, isPhoto: false, paper: level,
                         paperNoise: 1.4826 * InkFinding.percentile(paper.map { abs($0 - level) }, 0.5))
        }
        let darkIsCommoner = dark.count >= light.count
        return [reading(inkIsDark: darkIsCommoner), reading(inkIsDark: !darkIsCommoner)]
    }

    /// A photo: dark ink on paper, unless it is chalk on a board (most of the picture under 0.35,
    /// its lightest marks departing from the middle shade further than its darkest by 0.2, and
    /// under a fifth of it lighter than halfway to them).
    static func photo(_ plane: InkFinding.Plane) -> InkFinding.Polarity {
        let histogram = InkFinding.Histogram(plane.values)
        let middle = histogram.percentile(0.5)
        let below = middle - histogram.percentile(0.005)
        let above = histogram.percentile(0.995) - middle
        // Chalk is strokes, a small share of the board; a lit part of the paper beside a shadow is not.
        let light = Float(plane.values.filter { $0 > middle + above / 2 }.count) / Float(max(plane.values.count, 1))
        let board = middle < 0.35 && above > below + 0.2 && light < 0.2
        return .init(inkIsDark: !board, isPhoto: true, paper: nil, paperNoise: 0)
    }

    /// The share of the picture that is neither paper nor ink, nor near ink: shade that departs
    /// from the paper by more than `plainTolerance` but less than half the way to the ink, further
    /// than a tenth of the picture's shorter side (a twentieth of its longer) from any ink. In a
    /// drawing, a scan or a crop such
    /// shades are the anti-aliased edges of strokes, next to them; in a photo, light and shadow
    /// spread them across the paper.
    static func shadeAwayFromInk(_ plane: InkFinding.Plane, paper: Float, inkLevel: Float) -> Float {
        let span = max(abs(inkLevel - paper), 1.0 / 255)
        var near = InkFinding.Plane(width: plane.width, height: plane.height)
        for i in plane.values.indices where abs(plane.values[i] - paper) >= 0.5 * span { near.values[i] = 1 }
        let reach = max(2, min(plane.width, plane.height) / 10, max(plane.width, plane.height) / 20)
        InkFinding.extremumFilter(&near, window: 2 * reach + 1, maximum: true)
        var away = 0
        for i in plane.values.indices where near.values[i] == 0 {
            let departure = abs(plane.values[i] - paper)
            if departure > plainTolerance && departure < 0.5 * span { away += 1 }
        }
        return Float(away) / Float(max(plane.values.count, 1))
    }

    /// The pixels of the plane's outermost rows and columns.
    static func borderValues(_ plane: InkFinding.Plane) -> [Float] {
        let width = plane.width, height = plane.height
        var border: [Float] = []
        border.reserveCapacity(2 * (width + height))
        for x in 0..<width {
            border.append(plane.values[x])
            if height > 1 { border.append(plane.values[(height - 1) * width + x]) }
        }
        if height > 2 {
            for y in 1..<(height - 1) {
                border.append(plane.values[y * width])
                if width > 1 { border.append(plane.values[y * width + width - 1]) }
            }
        }
        return border
    }

    /// The centre of the fullest 1/32 of the range, counting each bin with its neighbours (so a
    /// shade that falls across two bins is one).
    static func commonestShade(_ values: [Float]) -> Float {
        let bins = 64
        var histogram = [Int](repeating: 0, count: bins)
        for v in values { histogram[min(bins - 1, max(0, Int(v * Float(bins))))] += 1 }
        var best = 0, bestCount = -1
        for bin in 0..<bins {
            let count = histogram[bin] * 2 + (bin > 0 ? histogram[bin - 1] : 0) + (bin < bins - 1 ? histogram[bin + 1] : 0)
            if count > bestCount { (best, bestCount) = (bin, count) }
        }
        // The mean of the values in the bin and its neighbours.
        var sum: Float = 0, count = 0
        for v in values where abs(Int(v * Float(bins)) - best) <= 1 { sum += v; count += 1 }
        return count > 0 ? sum / Float(count) : (Float(best) + 0.5) / Float(bins)
    }

    /// Otsu's threshold over 64 levels: the one that best separates two classes (the largest
    /// variance between them).
    static func otsuThreshold(_ values: [Float]) -> Float {
        let bins = 64
        var histogram = [Double](repeating: 0, count: bins)
        for v in values { histogram[min(bins - 1, max(0, Int(v * Float(bins))))] += 1 }
        let total = Double(values.count)
        let sum = histogram.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
        var weightBelow = 0.0, sumBelow = 0.0, best = 0.0, threshold = bins / 2
        for t in 0..<(bins - 1) {
            weightBelow += histogram[t]
            sumBelow += Double(t) * histogram[t]
            let weightAbove = total - weightBelow
            guard weightBelow > 0, weightAbove > 0 else { continue }
            let meanBelow = sumBelow / weightBelow, meanAbove = (sum - sumBelow) / weightAbove
            let between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if between > best { (best, threshold) = (between, t + 1) }
        }
        return Float(threshold) / Float(bins)
    }
}
