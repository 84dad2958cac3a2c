import Foundation

/// Finds the ink of one handwritten character in a picture: a drawing, a scan, a crop with or
/// without a margin, in dark or light ink, or a phone photo (uneven light, shadow edges, tinted
/// paper, grain, a table past the paper's edge, a small character anywhere in the frame). The
/// result is an ink plane (0 paper, 1 full ink) holding only the character's strokes, and where
/// they are in the picture, for `DigitPreprocessing` to crop, scale and centre.
///
/// 1. **A coarse look**: the picture averaged down in whole blocks to at most `coarseSide` pixels on
///    its longer side.
/// 2. **Plain or photo, and the polarity** (`Polarity.reading`), from the picture as a whole:
///    - *plain* (a drawing, a scan, a crop): most of the border is one shade (the paper, even where
///      ink touches the border, as in a crop with no margin); the ink is what departs furthest from
///      that shade, darker or lighter;
///    - *two-tone border*: a crop so tight that ink covers much of the border, which is then two
///      flat shades; the one less present on the border is the ink;
///    - *photo*: light and shade vary along the border; ink on paper is dark, chalk on a dark board
///      light. Light ink is inverted, so that ink is dark on light from here on.
/// 3. **The paper's level**: on a plain picture, the border's shade; in a photo, a morphological
///    closing (the largest grey level in a square window, then the smallest), which removes every
///    dark feature narrower than the window (the strokes) and keeps paper under any light and every
///    edge that only rises or falls (a shadow's edge of any softness, the paper's edge against a
///    table). The picture is extended past the frame by repeating its edges first.
/// 4. **Ink contrast**: (paper - grey) / paper, the share of the light the ink absorbs, which a
///    shadow does not change. Where the paper is darker than half its usual level (a table, a deep
///    shadow), half that level divides instead, so noise in the dark is not magnified.
/// 5. **Strokes**: pixels above a low threshold (a quarter of the strongest ink, and above the
///    noise; in a photo at least 0.05) form 8-connected regions; a region counts if it also holds
///    ink above half the strongest. In a photo, regions that touch the frame's edge are passed over
///    while there are others, and the strongest ink must absorb a fifth of the light. The region
///    with the most ink is the character; regions near it (within a quarter of its size) join it,
///    so broken strokes and a 5's detached bar stay.
/// 6. **A closer look**: around the character found in the coarse plane, the picture is read again
///    at a resolution where the character is at least `fineSide` pixels in a photo, `plainFineSide`
///    on a plain picture (or at full resolution, if it is smaller), with, in a photo, a closing
///    window of 0.6 times the character's size, or 1.5 times its thickest part if more (a filled
///    blob stays ink).
/// 7. The ink is scaled so that the character's strongest tenth of stroke pixels is full ink
///    (MNIST's strokes are saturated at their core), and everything outside its strokes (dilated by
///    one pixel, for the anti-aliased edges) is set to 0.
public enum InkFinding {
    /// The longer side of the first, coarse look: enough to tell plain from photo and to read a
    /// drawing, a scan or a crop, whose character fills most of it.
    public static let coarseSide = 64
    /// The longer side of a photo's first look: a character filling a third of a photo is then
    /// over 30 pixels, enough to find it beside shadows and a table.
    public static let photoCoarseSide = 128
    /// The longer side a character is read at in the closer look (when the picture has that many):
    /// in a photo, where the paper's level is estimated around the strokes, and on a plain picture,
    /// where twice the 20 pixels MNIST's box has are enough.
    public static let fineSide = 64
    /// The longer side a character of a plain (not photographed) picture is read at in the closer look.
    public static let plainFineSide = 40

    /// In a photo, the least contrast (the share of the light absorbed) the strongest ink must have:
    /// pencil on paper has 0.4 or more, while a shadow's corner at the frame's edge, which the
    /// closing cannot follow exactly, shows a few hundredths.
    public static let minimumPhotoContrast: Float = 0.2

    /// A plane of grey levels or ink values, row by row.
    public struct Plane: Sendable, Equatable {
        /// Values per row.
        public var width: Int
        /// Rows.
        public var height: Int
        /// The values, row by row: `width * height` of them.
        public var values: [Float]

        /// A plane of `width` x `height` values; `values.count` must be their product.
        public init(width: Int, height: Int, values: [Float]) {
            precondition(values.count == width * height)
            self.width = width
            self.height = height
            self.values = values
        }

        init(width: Int, height: Int, repeating value: Float = 0) {
            self.init(width: width, height: height, values: [Float](repeating: value, count: width * height))
        }
    }

    /// A box in pixels: columns `left...right`, rows `top...bottom`.
    public struct Box: Sendable, Equatable {
        /// The box's first and last columns and rows, inclusive.
        public var left: Int, top: Int, right: Int, bottom: Int
        /// Columns covered: right - left + 1.
        public var width: Int { right - left + 1 }
        /// Rows covered: bottom - top + 1.
        public var height: Int { bottom - top + 1 }
        /// The box of columns `left...right` and rows `top...bottom`.
        public init(left: Int, top: Int, right: Int, bottom: Int) {
            self.left = left
            self.top = top
            self.right = right
            self.bottom = bottom
        }
        func union(_ other: Box) -> Box {
            Box(left: min(left, other.left), top: min(top, other.top), right: max(right, other.right), bottom: max(bottom, other.bottom))
        }
        func expanded(by margin: Int) -> Box {
            Box(left: left - margin, top: top - margin, right: right + margin, bottom: bottom + margin)
        }
        func intersects(_ other: Box) -> Bool {
            left <= other.right && other.left <= right && top <= other.bottom && other.top <= bottom
        }
        /// The area the two boxes share over the area they cover together (0...1).
        func overlap(_ other: Box) -> Float {
            let shared = max(0, min(right, other.right) - max(left, other.left) + 1) * max(0, min(bottom, other.bottom) - max(top, other.top) + 1)
            let covered = width * height + other.width * other.height - shared
            return covered > 0 ? Float(shared) / Float(covered) : 0
        }
        func clamped(width: Int, height: Int) -> Box {
            Box(left: max(0, left), top: max(0, top), right: min(width - 1, right), bottom: min(height - 1, bottom))
        }
        /// This box, in a plane `factor` times coarser whose pixel (0, 0) is this one's (origin).
        func scaled(by factor: Int, from origin: (x: Int, y: Int) = (0, 0)) -> Box {
            Box(left: origin.x + left * factor, top: origin.y + top * factor,
                right: origin.x + right * factor + factor - 1, bottom: origin.y + bottom * factor + factor - 1)
        }
    }

    /// Which way the ink goes, and how sure the picture makes it.
    public struct Polarity: Sendable, Equatable {
        /// Dark ink on light paper (else light ink on a dark ground).
        public var inkIsDark: Bool
        /// A photo: the paper's level varies, and is estimated locally.
        public var isPhoto: Bool
        /// On a plain picture, the paper's level (0...1, before any inversion), and how much it
        /// varies (the deviation of the border's paper pixels from it, robustly estimated).
        public var paper: Float?
        /// How much the paper's level varies around `paper` (0 in a photo).
        public var paperNoise: Float
    }

    /// The character's ink and where it is.
    public struct Finding: Sendable {
        /// The character's ink, 0...1, in `region` of the picture read at `factor` (each value the
        /// mean of `factor` x `factor` pixels).
        public var plane: Plane
        /// The part of the picture that `plane` covers, in the picture's pixels.
        public var region: Box
        /// How many of the picture's pixels, on each axis, one value of `plane` averages.
        public var factor: Int
        /// The character's box in the picture's pixels.
        public var box: Box
        /// Which way the ink went, and whether the picture is a photo.
        public var polarity: Polarity
    }

    /// A picture's reading, and where the picture reads two ways, the other.
    public struct Readings: Sendable {
        /// The reading the picture's shades favour.
        public var first: Finding
        /// Light ink on a dark ground, or a photo's dark ink on paper, where both find a character
        /// of their own: the light beside a shadow, or the lit part of a page, reads as light ink as
        /// well as the digit written on it does as dark. Only a reader of characters can tell them
        /// apart (`DigitPreprocessing.prepared(_:confidence:)` asks it).
        public var second: Finding?
    }

    /// The ink of the character in `picture`, read as the picture shows it (plain or photo, dark or
    /// light ink), or with `polarity`.
    public static func find(_ picture: GreyPicture, polarity chosen: Polarity? = nil) throws(DigitPreprocessing.Failure) -> Finding {
        try readings(picture, polarity: chosen).first
    }

    /// The character's ink as `find` reads it, with the other reading where there are two.
    public static func readings(_ picture: GreyPicture, polarity chosen: Polarity? = nil) throws(DigitPreprocessing.Failure) -> Readings {
        guard picture.width > 0, picture.height > 0 else { throw .noInk("the picture has no pixels") }
        let factor = max(1, (max(picture.width, picture.height) + coarseSide - 1) / coarseSide)
        let coarse = averaged(picture, region: Box(left: 0, top: 0, right: picture.width - 1, bottom: picture.height - 1), factor: factor)
        try checkNotOneShade(coarse, picture: picture)
        if let chosen {
            if chosen.isPhoto { return Readings(first: try findInPhoto(picture, polarity: { _ in chosen })) }
            return Readings(first: try find(picture, coarse: coarse, factor: factor, polarity: chosen, look: nil))
        }
        do {
            return try readings(picture, coarse: coarse, factor: factor, reading: Polarity.reading(coarse))
        } catch {
            // Last, a crop so tight that its ink is most of it: two shades far apart, the commoner
            // one the ink, and then the other way round; kept only if what it finds spans the frame
            // both ways, as a crop to the ink does, and, unless the frame is narrow (a '1' cut to
            // its stroke), holds as a plain reading (`plainness`: strokes, no shade unexplained):
            // not a shadow, the light beside one or a table.
            for polarity in Polarity.twoTone(coarse) {
                let narrow = 5 * max(coarse.width, coarse.height) >= 11 * min(coarse.width, coarse.height)
                if let look = try? firstLook(coarse, polarity: polarity), spansFrame(look.box, width: coarse.width, height: coarse.height),
                   narrow || plainness((polarity.inkIsDark ? coarse : inverted(coarse), look), paper: polarity.paper ?? 1, inkIsDark: polarity.inkIsDark) != .implausible,
                   let found = try? find(picture, coarse: coarse, factor: factor, polarity: polarity, look: look) {
                    return Readings(first: found)
                }
            }
            throw error
        }
    }

    /// Whether a box (grown by a pixel, as looks give it) reaches every side of the frame, to within
    /// a sixteenth of its size.
    static func spansFrame(_ box: Box, width: Int, height: Int) -> Bool {
        let slackX = max(2, width / 16), slackY = max(2, height / 16)
        return box.left <= slackX && box.top <= slackY && box.right >= width - 1 - slackX && box.bottom >= height - 1 - slackY
    }

    /// Whether a look's strokes are thinner than a third of the character's size.
    static func isStrokes(_ look: Look, width: Int, height: Int) -> Bool {
        3 * (2 * largestDistance(look.stroke, width: width, height: height) - 1) < max(look.box.width, look.box.height)
    }

    /// The character as `reading` shows it. A plain picture's paper is one level: its reading
    /// holds if what it finds is a character where a character can be, and leaves nothing else
    /// unexplained (see `plainness`); where it may not, the picture is read as a photo (which keeps
    /// to the character away from the frame's edge when there is one, and finds it at the edge
    /// otherwise), and as plain again if that finds nothing. Light ink, plain or chalk in a photo,
    /// may be the lit part of a page: where the photo's dark reading finds a character of its own,
    /// it is the second reading.
    static func readings(_ picture: GreyPicture, coarse: Plane, factor: Int, reading: Polarity) throws(DigitPreprocessing.Failure) -> Readings {
        if reading.isPhoto { return withDarkInk(try findInPhoto(picture, polarity: { _ in reading }), picture) }
        let look = try? firstLook(coarse, polarity: reading)
        let grey = reading.inkIsDark ? coarse : inverted(coarse)
        let plainness = plainness(look.map { (grey, $0) }, paper: reading.paper ?? 1, inkIsDark: reading.inkIsDark)
        if plainness == .clear && reading.inkIsDark {
            return Readings(first: try find(picture, coarse: coarse, factor: factor, polarity: reading, look: look))
        }
        if plainness == .clear || plainness == .spanning {
            // A crop to the ink, light ink, or a photo whose shadow and table edges, taken together,
            // span the frame: the photo's reading counts only if it finds a character of its own,
            // away from the frame's edge, at least a quarter of the frame's shorter side, elsewhere
            // than the plain one. In the same polarity it holds (for a frame it spans); in the
            // other it is the second reading.
            let plain = try find(picture, coarse: coarse, factor: factor, polarity: reading, look: look)
            guard let asPhoto = try? findInPhoto(picture, polarity: Polarity.photo) else { return Readings(first: plain) }
            let box = asPhoto.box, slack = max(2, min(picture.width, picture.height) / 32)
            let inside = box.left > slack && box.top > slack && box.right < picture.width - 1 - slack && box.bottom < picture.height - 1 - slack
            let large = 4 * max(box.width, box.height) >= min(picture.width, picture.height)
            guard inside && large && plain.box.overlap(box) < 0.6 else { return Readings(first: plain) }
            if asPhoto.polarity.inkIsDark != reading.inkIsDark { return Readings(first: plain, second: asPhoto) }
            return Readings(first: plainness == .spanning ? asPhoto : plain)
        }
        let asPhoto: Finding
        do {
            asPhoto = try findInPhoto(picture, polarity: Polarity.photo)
        } catch {
            // Nothing in it as a photo: the plain reading, if what it found is strokes (covering
            // under half their box, or thinner than a third of its size), not the light beside a shadow.
            guard let look, plainness == .open, fill(look) < 0.5 || isStrokes(look, width: coarse.width, height: coarse.height) else { throw error }
            return Readings(first: try find(picture, coarse: coarse, factor: factor, polarity: reading, look: look))
        }
        // Open: a character at the frame's edge (a crop) or the light beside a shadow (a photo).
        // When both readings find the same character, the plain one holds (the photo's closing
        // cannot tell a stroke along the frame's edge from a shadow there).
        if plainness == .open, let plain = try? find(picture, coarse: coarse, factor: factor, polarity: reading, look: look),
           plain.box.overlap(asPhoto.box) >= 0.6 {
            return Readings(first: plain)
        }
        return withDarkInk(asPhoto, picture)
    }

    /// A photo's reading, and where it took the ink to be light (chalk on a board), the dark ink's
    /// as the second: the lit part of a page in shadow is light on dark too.
    static func withDarkInk(_ photo: Finding, _ picture: GreyPicture) -> Readings {
        guard !photo.polarity.inkIsDark,
              let dark = try? findInPhoto(picture, polarity: { _ in Polarity(inkIsDark: true, isPhoto: true, paper: nil, paperNoise: 0) })
        else { return Readings(first: photo) }
        return Readings(first: photo, second: dark)
    }

    /// The character read as a photo's, from a first look `photoCoarseSide` pixels across, with the
    /// polarity given for that look's plane.
    static func findInPhoto(_ picture: GreyPicture, polarity: (Plane) -> Polarity) throws(DigitPreprocessing.Failure) -> Finding {
        let factor = max(1, (max(picture.width, picture.height) + photoCoarseSide - 1) / photoCoarseSide)
        let coarse = averaged(picture, region: Box(left: 0, top: 0, right: picture.width - 1, bottom: picture.height - 1), factor: factor)
        return try find(picture, coarse: coarse, factor: factor, polarity: polarity(coarse), look: nil)
    }

    typealias Look = (plane: Plane, box: Box, stroke: [Bool])

    /// The first look, on the coarse plane: where the character is, how large, how thick.
    static func firstLook(_ coarse: Plane, polarity: Polarity) throws(DigitPreprocessing.Failure) -> Look {
        let grey = polarity.inkIsDark ? coarse : inverted(coarse)
        let paper = polarity.paper.map { (level: polarity.inkIsDark ? $0 : 1 - $0, noise: polarity.paperNoise) }
        return try strokes(grey, paper: paper, window: max(5, min(grey.width, grey.height) / 2) | 1, within: nil, isPhoto: polarity.isPhoto)
    }

    /// The character read with `polarity`: the first look (given, or taken here), then the closer
    /// look at a resolution where the character is at least `fineSide` pixels.
    static func find(_ picture: GreyPicture, coarse: Plane, factor: Int, polarity: Polarity, look: Look?) throws(DigitPreprocessing.Failure) -> Finding {
        let first: Look
        if let look { first = look } else { first = try firstLook(coarse, polarity: polarity) }
        let paper = polarity.paper.map { (level: polarity.inkIsDark ? $0 : 1 - $0, noise: polarity.paperNoise) }
        let found = first.box.scaled(by: factor)
        // (The look's box is the strokes' grown by a pixel of the coarse plane.)
        let size = max(found.width, found.height) - 2 * factor
        let thickness = 2 * largestDistance(first.stroke, width: coarse.width, height: coarse.height) - 1
        let fineFactor = max(1, size / (polarity.isPhoto ? fineSide : plainFineSide))
        if fineFactor >= factor {
            // The coarse plane is as fine as the closer look would be.
            return Finding(plane: first.plane, region: Box(left: 0, top: 0, right: coarse.width * factor - 1, bottom: coarse.height * factor - 1),
                           factor: factor, box: found.clamped(width: picture.width, height: picture.height), polarity: polarity)
        }
        // In a photo, room around the character for a closing window wider than its thickest part.
        let thickest = thickness * factor * 3 / 2 + 2 * fineFactor
        let margin = polarity.isPhoto ? max(size / 4, thickest) : size / 8 + 2 * fineFactor
        let region = found.expanded(by: margin).clamped(width: picture.width, height: picture.height)
        var fine = averaged(picture, region: region, factor: fineFactor)
        if !polarity.inkIsDark { invert(&fine) }
        let fineSize = max(1, size / fineFactor)
        let window = min(max(5, min(fine.width, fine.height) - 1) | 1, max(5, Int(0.6 * Float(fineSize)), thickest / fineFactor) | 1)
        let within = Box(left: (found.left - region.left) / fineFactor, top: (found.top - region.top) / fineFactor,
                         right: (found.right - region.left) / fineFactor, bottom: (found.bottom - region.top) / fineFactor)
        let second = try strokes(fine, paper: paper, window: window, within: within, isPhoto: polarity.isPhoto)
        return Finding(plane: second.plane, region: region, factor: fineFactor,
                       box: second.box.scaled(by: fineFactor, from: (region.left, region.top)).clamped(width: picture.width, height: picture.height),
                       polarity: polarity)
    }

    /// How well a plain reading of a picture holds.
    enum Plainness { case clear, spanning, open, implausible }

    /// Whether a plain picture's first look (on the grey plane with dark ink) holds:
    /// - implausible when nothing was found; when its strokes are no strokes (their thickest part
    ///   45% of the character's size or more: a shadow, a table); or when outside them (dilated by
    ///   a tenth of the shorter side) 5% of the picture or more departs from the paper by more than
    ///   the plain tolerance (light and shadow across a photo's paper);
    /// - clear when the character keeps off the frame's edge (a margin), or touches two opposite
    ///   edges (a crop to its height or width);
    /// - spanning when it spans the whole frame both ways covering under 65% of it, or in a narrow
    ///   frame (a crop to its ink, or a photo's table and shadow taken for one);
    /// - open when it touches the edge without spanning the frame (a crop to its height, or the
    ///   light beside a shadow in a photo).
    static func plainness(_ look: (grey: Plane, found: Look)?, paper: Float, inkIsDark: Bool) -> Plainness {
        guard let (grey, found) = look else { return .implausible }
        let box = found.box, width = grey.width, height = grey.height
        let thickness = 2 * largestDistance(found.stroke, width: width, height: height) - 1
        guard Float(thickness) < 0.45 * Float(max(box.width, box.height)) else { return .implausible }
        let paperLevel = inkIsDark ? paper : 1 - paper
        var near = Plane(width: width, height: height)
        for i in near.values.indices where found.stroke[i] { near.values[i] = 1 }
        extremumFilter(&near, window: 2 * max(2, min(width, height) / 10, max(width, height) / 20) + 1, maximum: true)
        var unexplained = 0
        for i in grey.values.indices where near.values[i] == 0 && abs(grey.values[i] - paperLevel) > Polarity.plainTolerance { unexplained += 1 }
        guard Float(unexplained) < 0.05 * Float(grey.values.count) else { return .implausible }
        // (The box is the strokes' box grown by a pixel.) A crop to the ink's height (or width)
        // touches the two opposite edges and, at most, comes near the other two.
        let left = box.left == 0, top = box.top == 0, right = box.right == width - 1, bottom = box.bottom == height - 1
        let slackX = max(2, width / 16), slackY = max(2, height / 16)
        let spansAcross = box.left <= slackX && box.right >= width - 1 - slackX
        let spansDown = box.top <= slackY && box.bottom >= height - 1 - slackY
        if !(left || top || right || bottom) { return .clear }
        // A crop to the ink both ways: strokes, not a filled shape such as the light beside a shadow.
        // (A narrow one, at least 2.2 times as long as it is wide, is a '1' cut to its stroke.)
        if spansFrame(box, width: width, height: height) {
            return fill(found) < 0.65 || 5 * max(width, height) >= 11 * min(width, height) ? .spanning : .open
        }
        if (top && bottom && !(left && !spansAcross) && !(right && !spansAcross)) || (left && right && !(top && !spansDown) && !(bottom && !spansDown)) {
            return .clear
        }
        return .open
    }

    /// The share of its box that a look's strokes cover.
    static func fill(_ look: Look) -> Float {
        let width = look.plane.width
        var inside = 0
        for y in look.box.top...look.box.bottom {
            for x in look.box.left...look.box.right where look.stroke[y * width + x] { inside += 1 }
        }
        return Float(inside) / Float(max(look.box.width * look.box.height, 1))
    }

    static func inverted(_ plane: Plane) -> Plane {
        var copy = plane
        invert(&copy)
        return copy
    }

    /// Refuses a picture of one shade, saying which.
    static func checkNotOneShade(_ plane: Plane, picture: GreyPicture) throws(DigitPreprocessing.Failure) {
        var low: Float = 1, high: Float = 0
        for v in plane.values { low = min(low, v); high = max(high, v) }
        if high - low < 2.0 / 255 {
            throw .noInk("the picture is one shade (grey level \(Int((255 * low).rounded())) of 255 throughout): there is nothing to read")
        }
    }

    static func invert(_ plane: inout Plane) {
        plane.values.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] = 1 - values[i] } }
    }

    /// The `region` of the picture averaged in whole blocks of `factor` x `factor` pixels (a last
    /// partial row or column of blocks is dropped; at least one block is kept each way, as many
    /// pixels as there are when the region is narrower than a block), as grey levels 0...1.
    static func averaged(_ picture: GreyPicture, region: Box, factor: Int) -> Plane {
        let blockWidth = min(factor, region.width), blockHeight = min(factor, region.height)
        let width = region.width / blockWidth, height = region.height / blockHeight
        var plane = Plane(width: width, height: height)
        let scale = 1 / (255 * Float(blockWidth * blockHeight))
        let used = width * blockWidth
        picture.levels.withUnsafeBufferPointer { levels in
            plane.values.withUnsafeMutableBufferPointer { out in
                if blockWidth == 1 && blockHeight == 1 {
                    for y in 0..<height {
                        let row = (region.top &+ y) &* picture.width &+ region.left
                        for x in 0..<width { out[y &* width &+ x] = Float(levels[row &+ x]) * scale }
                    }
                    return
                }
                // The block's rows summed column by column first (a loop along the row, which
                // vectorises), then each block's columns.
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: used) { sums in
                    for y in 0..<height {
                        sums.initialize(repeating: 0)
                        for dy in 0..<blockHeight {
                            let rowIndex: Int = region.top &+ y &* blockHeight &+ dy
                            let start: Int = rowIndex &* picture.width &+ region.left
                            let row = UnsafeBufferPointer(rebasing: levels[start..<(start + used)])
                            for x in 0..<used { sums[x] &+= UInt32(row[x]) }
                        }
                        for x in 0..<width {
                            var sum: UInt32 = 0
                            let start = x &* blockWidth
                            for dx in 0..<blockWidth { sum &+= sums[start &+ dx] }
                            out[y &* width &+ x] = Float(sum) * scale
                        }
                    }
                }
            }
        }
        return plane
    }

    /// Steps 3 to 5 and 7: the ink plane of the character in a plane of grey levels (dark ink), its
    /// box, and which pixels are its strokes. `paper` is a plain picture's paper level (then no
    /// closing is needed); `within`, when given, is where the character must be.
    static func strokes(_ grey: Plane, paper plainPaper: (level: Float, noise: Float)?, window: Int, within: Box?, isPhoto: Bool) throws(DigitPreprocessing.Failure)
        -> (plane: Plane, box: Box, stroke: [Bool]) {
        let (ink, low, high) = try contrast(grey, paper: plainPaper, window: window, isPhoto: isPhoto)
        let (labels, regions) = connectedRegions(ink, above: low)
        var candidates = regions.indices.filter { regions[$0].strongest >= high }
        if let within { candidates = candidates.filter { regions[$0].box.intersects(within) } }
        let inside = candidates.filter { !regions[$0].touchesEdge }
        if isPhoto && !inside.isEmpty { candidates = inside }
        guard let main = candidates.max(by: { regions[$0].mass < regions[$1].mass }) else {
            throw .noInk("no stroke was found where the character was seen at first")
        }
        // The character: the main region and those near it.
        var chosen = Set([main])
        var box = regions[main].box
        for _ in 0..<3 {
            let reach = box.expanded(by: max(box.width, box.height) / 4)
            let near = regions.indices.filter {
                !chosen.contains($0) && regions[$0].box.intersects(reach) && regions[$0].mass >= 0.02 * regions[main].mass
                    && (!isPhoto || !regions[$0].touchesEdge || regions[main].touchesEdge)
            }
            if near.isEmpty { break }
            for r in near { chosen.insert(r); box = box.union(regions[r].box) }
        }
        let (plane, stroke) = kept(ink, labels: labels, regions: chosen, count: regions.count)
        return (plane, box.expanded(by: 1).clamped(width: ink.width, height: ink.height), stroke)
    }

    /// Steps 3 to 5's thresholds: the ink plane of a plane of grey levels (dark ink), and the two
    /// levels strokes are found by: `low`, above which pixels join a region, and `high`, which a
    /// region's strongest ink must reach.
    static func contrast(_ grey: Plane, paper plainPaper: (level: Float, noise: Float)?, window: Int, isPhoto: Bool) throws(DigitPreprocessing.Failure)
        -> (ink: Plane, low: Float, high: Float) {
        let width = grey.width, height = grey.height
        var ink = Plane(width: width, height: height)
        // The noise: on a plain picture, the paper's own (the ink may cover most of a tight crop);
        // in a photo, that of the ink plane's values, most of which are paper.
        var noise: Float = 0
        if let plainPaper {
            // Step 4 on a plain picture: the paper is one level.
            let paper = max(plainPaper.level, 1.0 / 255)
            for i in ink.values.indices { ink.values[i] = max(0, paper - grey.values[i]) / paper }
            noise = min(5 * plainPaper.noise / paper, 0.25)
        } else {
            // Steps 3 and 4 in a photo: the paper's level, estimated locally.
            // (At half resolution when the window is wide: the paper's level varies slowly, and a
            // shadow's edge moves it by no more than half a pixel of the plane there.)
            let background = window >= 31 && min(width, height) >= 48 ? halvedClosing(grey, window: window) : closing(grey, window: window)
            let paper = percentile(background.values, 0.9)
            let divisorFloor = max(0.5 * paper, 1.0 / 255)
            for i in ink.values.indices {
                ink.values[i] = max(0, background.values[i] - grey.values[i]) / max(background.values[i], divisorFloor)
            }
        }
        // Step 5: thresholds from the strongest ink (in a photo, away from the frame's edge) and the noise.
        var strongest: Float = 0
        let margin = isPhoto ? min(2, (min(width, height) - 1) / 2) : 0
        for y in margin..<(height - margin) {
            for x in margin..<(width - margin) { strongest = max(strongest, ink.values[y * width + x]) }
        }
        if isPhoto {
            // From the quietest half of the picture, so that ink over much of it (a close-up)
            // does not count as noise.
            let histogram = Histogram(ink.values)
            let quiet = histogram.percentile(0.25)
            noise = quiet + 5 * histogram.deviationPercentile(around: quiet, 0.25) * 1.4826
        }
        let low = max(0.25 * strongest, noise, isPhoto ? 0.05 : 2.0 / 255)
        let high = max(0.5 * strongest, low)
        guard strongest > low else {
            throw .noInk("no mark stands out from the paper: the strongest absorbs \(percent(strongest)) of the light, no more than the paper's own noise (\(percent(noise)))")
        }
        guard !isPhoto || strongest >= minimumPhotoContrast else {
            throw .noInk("no mark stands out from the paper: the strongest absorbs \(percent(strongest)) of the light where the paper's level is estimated, and ink in a photo absorbs at least \(percent(minimumPhotoContrast))")
        }
        return (ink, low, high)
    }

    /// Step 7: the ink of the `regions` chosen (of `count`, as `labels` marks them), dilated by a
    /// pixel, scaled so the strongest tenth of their stroke pixels is 1; and which pixels are their
    /// strokes.
    static func kept(_ ink: Plane, labels: [Int32], regions chosen: Set<Int>, count: Int) -> (plane: Plane, stroke: [Bool]) {
        let width = ink.width, height = ink.height
        var isChosen = [Bool](repeating: false, count: count)
        for r in chosen { isChosen[r] = true }
        var strokeValues: [Float] = []
        var keep = [Bool](repeating: false, count: width * height)
        var stroke = [Bool](repeating: false, count: width * height)
        stroke.withUnsafeMutableBufferPointer { stroke in
            keep.withUnsafeMutableBufferPointer { keep in
                labels.withUnsafeBufferPointer { labels in
                    for i in 0..<stroke.count where labels[i] >= 0 && isChosen[Int(labels[i])] { stroke[i] = true }
                }
                for y in 0..<height {
                    let y0 = max(y &- 1, 0), y1 = min(y &+ 1, height &- 1)
                    for x in 0..<width where stroke[y &* width &+ x] {
                        strokeValues.append(ink.values[y &* width &+ x])
                        let x0 = max(x &- 1, 0), x1 = min(x &+ 1, width &- 1)
                        for ny in y0...y1 { for nx in x0...x1 { keep[ny &* width &+ nx] = true } }
                    }
                }
            }
        }
        let full = max(Histogram(strokeValues).percentile(0.9), 1.0 / 255)
        var plane = Plane(width: width, height: height)
        plane.values.withUnsafeMutableBufferPointer { out in
            ink.values.withUnsafeBufferPointer { ink in
                for i in 0..<out.count where keep[i] { out[i] = min(1, ink[i] / full) }
            }
        }
        return (plane, stroke)
    }

    static func percent(_ share: Float) -> String { "\(Int((100 * share).rounded()))%" }

    /// The largest chessboard distance from a pixel of `mask` to the nearest pixel outside it (the
    /// frame's outside counts as outside), by two raster passes over the mask framed by a pixel of
    /// outside.
    static func largestDistance(_ mask: [Bool], width: Int, height: Int) -> Int {
        let paddedWidth = width + 2
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: paddedWidth * (height + 2)) { distance in
            distance.initialize(repeating: 0)
            mask.withUnsafeBufferPointer { mask in
                for y in 0..<height {
                    let row = (y &+ 1) &* paddedWidth &+ 1
                    for x in 0..<width where mask[y &* width &+ x] {
                        let p = row &+ x
                        distance[p] = min(distance[p &- 1], distance[p &- paddedWidth &- 1], distance[p &- paddedWidth], distance[p &- paddedWidth &+ 1]) &+ 1
                    }
                }
            }
            var largest: Int32 = 0
            for y in stride(from: height - 1, through: 0, by: -1) {
                let row = (y &+ 1) &* paddedWidth &+ 1
                for x in stride(from: width - 1, through: 0, by: -1) {
                    let p = row &+ x
                    guard distance[p] > 0 else { continue }
                    let d = min(distance[p], distance[p &+ 1] &+ 1, distance[p &+ paddedWidth &+ 1] &+ 1,
                                distance[p &+ paddedWidth] &+ 1, distance[p &+ paddedWidth &- 1] &+ 1)
                    distance[p] = d
                    largest = max(largest, d)
                }
            }
            return Int(largest)
        }
    }

    /// The value below which `share` of `values` lie, for values in 0...1 (others are clamped), to
    /// within 1/1024: a histogram, not a sort.
    static func percentile(_ values: [Float], _ share: Double) -> Float {
        Histogram(values).percentile(share)
    }

    /// Values in 0...1 (others clamped) counted in 1024 bins, for as many percentiles as are
    /// wanted from one pass over them.
    struct Histogram {
        static let bins = 1024
        var counts = [Int32](repeating: 0, count: bins)
        var total = 0

        init(_ values: [Float]) {
            total = values.count
            counts.withUnsafeMutableBufferPointer { counts in
                values.withUnsafeBufferPointer { values in
                    for v in values { counts[Int(min(max(v, 0), 1) * Float(Self.bins - 1) + 0.5)] &+= 1 }
                }
            }
        }

        /// The value below which `share` of the values lie.
        func percentile(_ share: Double) -> Float {
            guard total > 0 else { return 0 }
            let target = min(total - 1, Int(share * Double(total - 1)))
            var seen = 0
            for bin in 0..<Self.bins {
                seen += Int(counts[bin])
                if seen > target { return Float(bin) / Float(Self.bins - 1) }
            }
            return 1
        }

        /// The value below which `share` of the values' distances from `centre` lie (the bins
        /// folded about the centre's).
        func deviationPercentile(around centre: Float, _ share: Double) -> Float {
            guard total > 0 else { return 0 }
            let middle = Int(min(max(centre, 0), 1) * Float(Self.bins - 1) + 0.5)
            let target = min(total - 1, Int(share * Double(total - 1)))
            var seen = 0
            for distance in 0..<Self.bins {
                if middle - distance >= 0 { seen += Int(counts[middle - distance]) }
                if distance > 0, middle + distance < Self.bins { seen += Int(counts[middle + distance]) }
                if seen > target { return Float(distance) / Float(Self.bins - 1) }
            }
            return 1
        }
    }

    /// The closing at half the resolution (2x2 means, a window of half the size), brought back to
    /// the plane's size: a photo's paper level varies slowly, and it costs a quarter.
    static func halvedClosing(_ plane: Plane, window: Int) -> Plane {
        let width = plane.width, height = plane.height
        let small = closing(averaged(plane, factor: 2), window: max(3, window / 2) | 1)
        var output = Plane(width: width, height: height)
        for y in 0..<height {
            let sy = min(small.height - 1, y / 2)
            for x in 0..<width { output.values[y &* width &+ x] = small.values[sy &* small.width &+ min(small.width - 1, x / 2)] }
        }
        return output
    }

    /// A plane averaged in blocks of `factor` x `factor` (a last partial row or column dropped).
    static func averaged(_ plane: Plane, factor: Int) -> Plane {
        let width = max(1, plane.width / factor), height = max(1, plane.height / factor)
        let blockWidth = min(factor, plane.width), blockHeight = min(factor, plane.height)
        var output = Plane(width: width, height: height)
        let scale = 1 / Float(blockWidth * blockHeight)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for dy in 0..<blockHeight {
                    let row = (y &* blockHeight &+ dy) &* plane.width &+ x &* blockWidth
                    for dx in 0..<blockWidth { sum += plane.values[row &+ dx] }
                }
                output.values[y &* width &+ x] = sum * scale
            }
        }
        return output
    }

    /// One 8-connected region of pixels above a threshold.
    struct Region {
        var box: Box
        var mass: Float = 0
        var strongest: Float = 0
        var pixels = 0
        var touchesEdge = false
    }

    /// Labels (-1 for pixels at or under `threshold`) and the regions, by a flood fill.
    static func connectedRegions(_ ink: Plane, above threshold: Float) -> (labels: [Int32], regions: [Region]) {
        let width = ink.width, height = ink.height
        var labels = [Int32](repeating: -1, count: width * height)
        var regions: [Region] = []
        labels.withUnsafeMutableBufferPointer { labels in
            ink.values.withUnsafeBufferPointer { values in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(width * height, 1)) { stack in
                    for start in 0..<(width &* height) where labels[start] < 0 && values[start] > threshold {
                        let label = Int32(regions.count)
                        var left = width, top = height, right = -1, bottom = -1
                        var mass: Float = 0, strongest: Float = 0, pixels = 0
                        labels[start] = label
                        stack[0] = Int32(start)
                        var depth = 1
                        while depth > 0 {
                            depth &-= 1
                            let p = Int(stack[depth])
                            let y = p / width, x = p &- y &* width
                            let v = values[p]
                            mass += v
                            strongest = max(strongest, v)
                            pixels &+= 1
                            left = min(left, x); right = max(right, x); top = min(top, y); bottom = max(bottom, y)
                            let x0 = max(x &- 1, 0), x1 = min(x &+ 1, width &- 1), y0 = max(y &- 1, 0), y1 = min(y &+ 1, height &- 1)
                            for ny in y0...y1 {
                                let row = ny &* width
                                for nx in x0...x1 {
                                    let q = row &+ nx
                                    if labels[q] < 0 && values[q] > threshold {
                                        labels[q] = label
                                        stack[depth] = Int32(q)
                                        depth &+= 1
                                    }
                                }
                            }
                        }
                        regions.append(Region(box: Box(left: left, top: top, right: right, bottom: bottom), mass: mass, strongest: strongest,
                                              pixels: pixels, touchesEdge: left == 0 || top == 0 || right == width - 1 || bottom == height - 1))
                    }
                }
            }
        }
        return (labels, regions)
    }
}
