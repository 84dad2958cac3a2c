/// Finds all the ink of a line of handwriting, a number, in a picture: `InkFinding`'s steps for one
/// character, keeping every stroke along the line instead of one character's.
///
/// 1. The polarity, plain or photo: the picture's border's (`Polarity.reading`) if it says plain
///    and the line's strokes, once found, are strokes (the thickest under 45% of the median
///    height of its pieces), not one piece alone spanning the frame (90% of it one way), and
///    leave under 5% of the picture unexplained (not paper); and as
///    `InkFinding.readings` judges it for the line's largest character, where that differs (see
///    `lines`).
/// 2. A first look at up to `lineCoarseSide` pixels on the picture's longer side: the ink plane
///    (`contrast`), its strokes (8-connected regions), and the line: the region with the most ink
///    and, again and again, every region beside the line found so far (overlapping its rows, within
///    1.5 times its height along them) with at least 2% of that region's ink. In a photo, regions
///    touching the frame's edge are passed over while there are others.
/// 3. A closer look at the line, at the resolution where it is `lineHeight` pixels tall (or the
///    picture's own, if it is smaller): the same again, within the first look's line, with in a
///    photo a closing window of 0.6 times the line's height.
/// 4. The line's strokes are kept, dilated by a pixel and scaled so their strongest tenth is full
///    ink (`kept`).
extension InkFinding {
    /// The longer side of the first look at a line.
    public static let lineCoarseSide = 256
    /// The height a line is read at in the closer look: twice MNIST's 20-pixel box and more, so
    /// that cuts between touching digits have room.
    public static let lineHeight = 48

    /// A line's ink and where it is.
    public struct Line: Sendable {
        /// The line's ink, 0...1, in `region` of the picture read at `factor` (each value the mean
        /// of `factor` x `factor` pixels).
        public var plane: Plane
        /// The part of the picture that `plane` covers, in the picture's pixels.
        public var region: Box
        /// How many of the picture's pixels, on each axis, one value of `plane` averages.
        public var factor: Int
        /// Which way the ink went, and whether the picture is a photo.
        public var polarity: Polarity

        /// A box of the plane, in the picture's pixels.
        public func pictureBox(_ box: Box) -> Box {
            box.scaled(by: factor, from: (region.left, region.top)).clamped(width: region.right + 1, height: region.bottom + 1)
        }
    }

    /// The ink of everything written along the line in `picture` that holds the most ink: as a
    /// plain picture's (`Polarity.reading`) if its strokes are strokes and leave nothing
    /// unexplained, else with plain or photo, and the polarity, as a character's reading judges
    /// them; and both where they disagree on the ink's polarity (the lit part of a page in shadow
    /// is light on dark too), for a reader of digits to choose. (A line's border alone may take a
    /// photo's shadow edge for ink; the line's other digits make a character's reading take a
    /// plain picture for a photo.)
    public static func lines(_ picture: GreyPicture) throws(DigitPreprocessing.Failure) -> [Line] {
        guard picture.width > 0, picture.height > 0 else { throw .noInk("the picture has no pixels") }
        let whole = Box(left: 0, top: 0, right: picture.width - 1, bottom: picture.height - 1)
        let coarseFactor = max(1, (max(picture.width, picture.height) + coarseSide - 1) / coarseSide)
        let coarse = averaged(picture, region: whole, factor: coarseFactor)
        try checkNotOneShade(coarse, picture: picture)
        let reading = Polarity.reading(coarse)
        var found: [Line] = []
        if !reading.isPhoto, let plain = try? line(picture, polarity: reading, plainOnly: true) { found.append(plain) }
        let character = try? readings(picture).first.polarity
        if let character, found.isEmpty || character.inkIsDark != reading.inkIsDark, let other = try? line(picture, polarity: character, plainOnly: false) {
            found.append(other)
        }
        guard !found.isEmpty else { throw .noInk("no line of strokes stands out from the paper") }
        return found
    }

    /// The line read with `polarity`; with `plainOnly`, nil unless under 5% of the first look,
    /// away from the line's strokes (dilated by a tenth of its height), departs from the paper by
    /// more than a plain picture's tolerance.
    static func line(_ picture: GreyPicture, polarity: Polarity, plainOnly: Bool) throws(DigitPreprocessing.Failure) -> Line? {
        let whole = Box(left: 0, top: 0, right: picture.width - 1, bottom: picture.height - 1)
        let paper = polarity.paper.map { (level: polarity.inkIsDark ? $0 : 1 - $0, noise: polarity.paperNoise) }

        // Step 2: the first look.
        let factor = max(1, (max(picture.width, picture.height) + lineCoarseSide - 1) / lineCoarseSide)
        var first = averaged(picture, region: whole, factor: factor)
        if !polarity.inkIsDark { invert(&first) }
        let firstInk = try contrast(first, paper: paper, window: max(5, min(first.width, first.height) / 2) | 1, isPhoto: polarity.isPhoto)
        let firstRegions = connectedRegions(firstInk.ink, above: firstInk.low)
        guard let found = lineRegions(firstRegions.regions, high: firstInk.high, isPhoto: polarity.isPhoto, within: nil) else {
            throw .noInk("no stroke stands out from the paper")
        }
        if plainOnly, let paper {
            let (_, stroke) = kept(firstInk.ink, labels: firstRegions.labels, regions: found.regions, count: firstRegions.regions.count)
            // Strokes, not a shadow or a table: the thickest under 45% of the median height of the
            // line's pieces.
            let thickness = 2 * largestDistance(stroke, width: first.width, height: first.height) - 1
            let heights = found.regions.map { firstRegions.regions[$0].box.height }.sorted()
            guard Float(thickness) < 0.45 * Float(heights[heights.count / 2]) else { return nil }
            // Nor the light beside a shadow: one piece alone (no other with 30% of its ink)
            // across the frame one way (90% of it). (A single digit cropped to its ink is then
            // read as a character's reading reads it.)
            let largest = found.regions.map { firstRegions.regions[$0].mass }.max() ?? 0
            let sizable = found.regions.filter { firstRegions.regions[$0].mass >= 0.3 * largest }
            let spansFrame = sizable.count == 1 && sizable.contains { r in
                let box = firstRegions.regions[r].box
                return 10 * box.width >= 9 * first.width || 10 * box.height >= 9 * first.height
            }
            guard !spansFrame else { return nil }
            var near = Plane(width: first.width, height: first.height)
            for i in near.values.indices where stroke[i] { near.values[i] = 1 }
            extremumFilter(&near, window: 2 * max(1, found.box.height / 10) + 1, maximum: true)
            var unexplained = 0
            for i in first.values.indices where near.values[i] == 0 && abs(first.values[i] - paper.level) > Polarity.plainTolerance { unexplained += 1 }
            guard Float(unexplained) < 0.05 * Float(first.values.count) else { return nil }
        }
        let lineBox = found.box.scaled(by: factor)
        let fineFactor = max(1, lineBox.height / lineHeight)
        if fineFactor >= factor {
            let (plane, _) = kept(firstInk.ink, labels: firstRegions.labels, regions: found.regions, count: firstRegions.regions.count)
            return Line(plane: plane, region: Box(left: 0, top: 0, right: first.width * factor - 1, bottom: first.height * factor - 1),
                        factor: factor, polarity: polarity)
        }

        // Step 3: the closer look.
        let height = lineBox.height
        let margin = polarity.isPhoto ? height / 2 + 2 * fineFactor : height / 8 + 2 * fineFactor
        let region = lineBox.expanded(by: margin).clamped(width: picture.width, height: picture.height)
        var fine = averaged(picture, region: region, factor: fineFactor)
        if !polarity.inkIsDark { invert(&fine) }
        let window = min(max(5, min(fine.width, fine.height) - 1) | 1, max(5, Int(0.6 * Float(height / fineFactor))) | 1)
        let fineInk = try contrast(fine, paper: paper, window: window, isPhoto: polarity.isPhoto)
        let fineRegions = connectedRegions(fineInk.ink, above: fineInk.low)
        let within = Box(left: (lineBox.left - region.left) / fineFactor, top: (lineBox.top - region.top) / fineFactor,
                         right: (lineBox.right - region.left) / fineFactor, bottom: (lineBox.bottom - region.top) / fineFactor)
        guard let line = lineRegions(fineRegions.regions, high: fineInk.high, isPhoto: polarity.isPhoto, within: within) else {
            throw .noInk("no stroke was found where the line was seen at first")
        }
        let (plane, _) = kept(fineInk.ink, labels: fineRegions.labels, regions: line.regions, count: fineRegions.regions.count)
        return Line(plane: plane, region: region, factor: fineFactor, polarity: polarity)
    }

    /// Step 2's choice: the region with the most ink (reaching `high`, meeting `within` when given,
    /// and in a photo off the frame's edge if any is), and the regions beside the line grown from
    /// it; nil when none qualifies.
    static func lineRegions(_ regions: [Region], high: Float, isPhoto: Bool, within: Box?) -> (regions: Set<Int>, box: Box)? {
        var candidates = regions.indices.filter { regions[$0].strongest >= high }
        if let within { candidates = candidates.filter { regions[$0].box.intersects(within) } }
        let inside = candidates.filter { !regions[$0].touchesEdge }
        if isPhoto && !inside.isEmpty { candidates = inside }
        guard let main = candidates.max(by: { regions[$0].mass < regions[$1].mass }) else { return nil }
        var chosen: Set<Int> = [main]
        var box = regions[main].box
        let least = 0.02 * regions[main].mass
        while true {
            let reach = Box(left: box.left - 3 * box.height / 2, top: box.top, right: box.right + 3 * box.height / 2, bottom: box.bottom)
            let beside = regions.indices.filter { r in
                !chosen.contains(r) && regions[r].mass >= least && regions[r].box.intersects(reach)
                    && (within.map { regions[r].box.intersects($0) } ?? true)
                    && (!isPhoto || !regions[r].touchesEdge || regions[main].touchesEdge)
            }
            if beside.isEmpty { break }
            for r in beside { chosen.insert(r); box = box.union(regions[r].box) }
        }
        return (chosen, box)
    }
}
