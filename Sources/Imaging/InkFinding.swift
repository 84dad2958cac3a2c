import Foundation

/// Finds the ink of one handwritten character in a picture that may be a phone photo: uneven light,
/// shadow edges, tinted paper, sensor grain and JPEG noise, a table showing past the paper's edge, a
/// small character anywhere in the frame. The result is an ink plane (0 paper, 1 full ink) holding
/// only the character's strokes, for `DigitPreprocessing` to crop, scale and centre.
///
/// 1. **Working size**: pictures larger than `workingSide` on their longer side are averaged down in
///    whole blocks; planes of 96 pixels or more on their shorter side are then smoothed by a 3x3 box
///    (grain, JPEG ringing).
/// 2. **Polarity**: where the frame's border is evenly lit (a scan, a drawing, a photo of evenly lit
///    paper), the ink is what departs furthest from the border's level, darker or lighter (on log
///    grey levels: the darkest and the lightest 0.1% of the pixels against the border's median).
///    Where light and shadow vary along the border, the picture is a photo, taken to be of dark ink
///    on paper (light ink on a dark board under uneven light is not told apart). Light-on-dark
///    pictures are inverted, so ink is dark on light from here on.
/// 3. **The local background**: a morphological closing (the largest grey level in a square window,
///    then the smallest in the same window) removes every dark feature narrower than the window, the
///    strokes, and keeps what is wider: paper under any light, and every edge that only rises or only
///    falls, such as a shadow's edge of any softness or the paper's edge against a table. The picture
///    is extended past the frame by repeating its edges first, so a shadow's corner at the frame's
///    edge is not narrower than the window there.
/// 4. **Ink contrast**: (background - grey) / background, the share of the light the ink absorbs,
///    which does not change when a shadow falls on the ink. Where the background is darker than half
///    the paper's usual level (a table, a deep shadow), half that level divides instead, so noise in
///    the dark is not magnified.
/// 5. **Strokes**: pixels above a low threshold (a quarter of the strongest ink, and above the
///    noise; in a photo at least 0.05) form 8-connected regions; a region counts if it also holds ink
///    above half the strongest. A photo whose strongest ink absorbs less than a fifth of the light
///    has no character in it.
///    In a photo, regions that touch the frame's edge (a table, a shadow's corner) are passed over
///    while there are others; on a plain background a character may touch the edge. The region with
///    the most ink is the character; regions near it (within a quarter of its size) join it, so
///    broken strokes and a 5's detached bar stay.
/// 6. **Two passes**: the first, at half size for planes over 192 pixels on their shorter side, uses
///    a window of half that side, to find where the character is, how large, and how thick its
///    thickest part is. The second, at working size, uses one of 0.6 times the character's size (the
///    strokes are far narrower), or 1.5 times that thickness if more (a filled blob stays ink), which
///    follows the light more closely, and keeps to the first pass's region.
/// 7. The ink is scaled so that the character's median stroke pixel is full ink (MNIST's strokes are
///    saturated at their core), and everything outside its strokes (dilated by one pixel, for the
///    anti-aliased edges) is set to 0.
public enum InkFinding {
    /// The longer side the work is done at: a character filling a third of the frame is then 170
    /// pixels tall, plenty for a 20-pixel result.
    public static let workingSide = 512

    /// In a photo, the least contrast (the share of the light absorbed) the strongest ink must have:
    /// pencil on paper has 0.4 or more, while a shadow's corner at the frame's edge, which the
    /// closing cannot follow exactly, shows a few hundredths.
    public static let minimumPhotoContrast: Float = 0.2

    /// A plane of grey levels or ink values, row by row.
    public struct Plane: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var values: [Float]

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
    struct Box: Equatable {
        var left: Int, top: Int, right: Int, bottom: Int
        var width: Int { right - left + 1 }
        var height: Int { bottom - top + 1 }
        func union(_ other: Box) -> Box {
            Box(left: min(left, other.left), top: min(top, other.top), right: max(right, other.right), bottom: max(bottom, other.bottom))
        }
        func expanded(by margin: Int) -> Box {
            Box(left: left - margin, top: top - margin, right: right + margin, bottom: bottom + margin)
        }
        func intersects(_ other: Box) -> Bool {
            left <= other.right && other.left <= right && top <= other.bottom && other.top <= bottom
        }
    }

    /// The ink plane of the character in `picture` (grey levels 0...1), at working size.
    public static func ink(_ picture: GreyPicture) throws(DigitPreprocessing.Failure) -> Plane {
        var grey = workingPlane(picture)
        if min(grey.width, grey.height) >= 96 { grey = boxBlur3(grey) }
        let shorter = min(grey.width, grey.height)
        // No window wider than half the shorter side (the first pass's, at working size).
        let largestWindow = max(5, shorter / 2) | 1
        let (inkIsDark, photo) = polarity(grey)
        if !inkIsDark {
            for i in grey.values.indices { grey.values[i] = 1 - grey.values[i] }
        }
        // The first pass finds where the character is and how large: at half size for large planes.
        let coarse = shorter >= 192 ? halved(grey) : grey
        let scale = grey.width / coarse.width
        let first = try strokes(coarse, window: max(5, min(coarse.width, coarse.height) / 2) | 1, within: nil, avoidingEdges: photo)
        let found = first.box
        let box = Box(left: found.left * scale, top: found.top * scale, right: found.right * scale + scale - 1, bottom: found.bottom * scale + scale - 1)
        let size = max(box.width, box.height)
        // Wider than the character's thickest part too, so a filled blob stays ink.
        let thickness = 2 * largestDistance(first.stroke, width: coarse.width, height: coarse.height) - 1
        let thickest = thickness * scale * 3 / 2 + 2
        let secondWindow = min(largestWindow, max(5, Int(0.6 * Float(size)), thickest)) | 1
        return try strokes(grey, window: secondWindow, within: box.expanded(by: size / 4), avoidingEdges: photo).plane
    }

    /// A plane averaged down 2x2 (an odd last row or column is dropped).
    static func halved(_ plane: Plane) -> Plane {
        let width = plane.width / 2, height = plane.height / 2
        var output = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = 2 * y * plane.width + 2 * x
                output.values[y * width + x] = 0.25 * (plane.values[i] + plane.values[i + 1] + plane.values[i + plane.width] + plane.values[i + plane.width + 1])
            }
        }
        return output
    }

    /// Step 1: the picture averaged down in whole blocks to at most `workingSide` on its longer side
    /// (the shorter side by the same factor, or to one pixel if it has fewer).
    static func workingPlane(_ picture: GreyPicture) -> Plane {
        let factor = (max(picture.width, picture.height) + workingSide - 1) / workingSide
        guard factor > 1 else { return Plane(width: picture.width, height: picture.height, values: picture.grey) }
        // Blocks of factor x factor, or as many rows (columns) as a very flat (narrow) picture has.
        let blockWidth = min(factor, picture.width), blockHeight = min(factor, picture.height)
        let width = picture.width / blockWidth, height = picture.height / blockHeight
        var plane = Plane(width: width, height: height)
        let scale = 1 / Float(blockWidth * blockHeight)
        picture.grey.withUnsafeBufferPointer { grey in
            for y in 0..<height {
                for x in 0..<width {
                    var sum: Float = 0
                    for dy in 0..<blockHeight {
                        let row = (y &* blockHeight &+ dy) &* picture.width &+ x &* blockWidth
                        for dx in 0..<blockWidth { sum += grey[row &+ dx] }
                    }
                    plane.values[y &* width &+ x] = sum * scale
                }
            }
        }
        return plane
    }

    /// The mean of each pixel's 3x3 neighbourhood (clipped at the edges).
    static func boxBlur3(_ plane: Plane) -> Plane {
        let width = plane.width, height = plane.height
        var rows = Plane(width: width, height: height), output = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let lo = max(0, x - 1), hi = min(width - 1, x + 1)
                var sum: Float = 0
                for i in lo...hi { sum += plane.values[y * width + i] }
                rows.values[y * width + x] = sum / Float(hi - lo + 1)
            }
        }
        for y in 0..<height {
            let lo = max(0, y - 1), hi = min(height - 1, y + 1)
            for x in 0..<width {
                var sum: Float = 0
                for j in lo...hi { sum += rows.values[j * width + x] }
                output.values[y * width + x] = sum / Float(hi - lo + 1)
            }
        }
        return output
    }

    /// Step 2: whether the ink is darker than the paper, and whether the border is unevenly lit (a photo).
    static func polarity(_ grey: Plane) -> (inkIsDark: Bool, unevenBorder: Bool) {
        func logarithm(_ v: Float) -> Float { log(v + 0.03) }
        let width = grey.width, height = grey.height
        var border: [Float] = []
        for x in 0..<width { border.append(grey.values[x]); if height > 1 { border.append(grey.values[(height - 1) * width + x]) } }
        for y in 1..<max(1, height - 1) { border.append(grey.values[y * width]); if width > 1 { border.append(grey.values[y * width + width - 1]) } }
        let borderMedian = percentile(border, 0.5)
        let borderSpread = logarithm(percentile(border, 0.95)) - logarithm(percentile(border, 0.05))
        // Uneven light along the border: a photo, of ink on paper.
        guard borderSpread < 0.15 else { return (true, true) }
        // A plain border (a scan, a drawing, a photo of evenly lit paper): the ink departs from it.
        let below = logarithm(borderMedian) - logarithm(percentile(grey.values, 0.001))
        let above = logarithm(percentile(grey.values, 0.999)) - logarithm(borderMedian)
        if max(below, above) > 0.1 && abs(below - above) > 0.1 { return (below > above, false) }
        return (borderMedian > 0.5, false)
    }

    /// Steps 3 to 5 and 7 with one window; `within`, when given, is where the character must be.
    /// Returns the ink plane, the character's box and which pixels are its strokes (the first pass
    /// measures their thickness from them: twice the largest chessboard distance to a pixel outside,
    /// less one).
    static func strokes(_ grey: Plane, window: Int, within: Box?, avoidingEdges: Bool) throws(DigitPreprocessing.Failure) -> (plane: Plane, box: Box, stroke: [Bool]) {
        let width = grey.width, height = grey.height
        // Step 3: the closing.
        let background = closing(grey, window: window)
        // Step 4: the ink's contrast.
        let paper = percentile(background.values, 0.9)
        let divisorFloor = max(0.5 * paper, 1.0 / 255)
        var ink = Plane(width: width, height: height)
        for i in ink.values.indices {
            ink.values[i] = max(0, background.values[i] - grey.values[i]) / max(background.values[i], divisorFloor)
        }
        // Step 5: thresholds from the strongest ink away from the frame's edge, and the noise.
        var strongest: Float = 0
        let margin = min(2, (min(width, height) - 1) / 2)
        for y in margin..<(height - margin) {
            for x in margin..<(width - margin) { strongest = max(strongest, ink.values[y * width + x]) }
        }
        let median = percentile(ink.values, 0.5)
        let spread = percentile(ink.values.map { abs($0 - median) }, 0.5) * 1.4826
        let low = max(0.25 * strongest, median + 5 * spread, avoidingEdges ? 0.05 : 2.0 / 255)
        let high = max(0.5 * strongest, low)
        guard strongest > low, !avoidingEdges || strongest >= minimumPhotoContrast else { throw .blank }
        let (labels, regions) = connectedRegions(ink, above: low)
        var candidates = regions.indices.filter { regions[$0].strongest >= high }
        if let within { candidates = candidates.filter { regions[$0].box.intersects(within) } }
        let inside = candidates.filter { !regions[$0].touchesEdge }
        if avoidingEdges && !inside.isEmpty { candidates = inside }
        guard let main = candidates.max(by: { regions[$0].mass < regions[$1].mass }) else { throw .blank }
        // The character: the main region and those near it.
        var chosen = Set([main])
        var box = regions[main].box
        for _ in 0..<3 {
            let reach = box.expanded(by: max(box.width, box.height) / 4)
            let near = regions.indices.filter {
                !chosen.contains($0) && regions[$0].box.intersects(reach) && regions[$0].mass >= 0.02 * regions[main].mass
                    && (!avoidingEdges || !regions[$0].touchesEdge || regions[main].touchesEdge)
            }
            if near.isEmpty { break }
            for r in near { chosen.insert(r); box = box.union(regions[r].box) }
        }
        // Step 7: the character's strokes, dilated by a pixel, scaled so the median stroke pixel is 1.
        var strokeValues: [Float] = []
        var keep = [Bool](repeating: false, count: width * height)
        var stroke = [Bool](repeating: false, count: width * height)
        for i in stroke.indices where labels[i] >= 0 && chosen.contains(Int(labels[i])) { stroke[i] = true }
        for y in 0..<height {
            for x in 0..<width where stroke[y * width + x] {
                strokeValues.append(ink.values[y * width + x])
                for dy in -1...1 where (0..<height).contains(y + dy) {
                    for dx in -1...1 where (0..<width).contains(x + dx) { keep[(y + dy) * width + x + dx] = true }
                }
            }
        }
        strokeValues.sort()
        let full = max(strokeValues.isEmpty ? 0 : strokeValues[(strokeValues.count - 1) / 2], 1.0 / 255)
        var plane = Plane(width: width, height: height)
        for i in plane.values.indices where keep[i] { plane.values[i] = min(1, ink.values[i] / full) }
        return (plane, box.expanded(by: 1).clamped(width: width, height: height), stroke)
    }

    /// The largest chessboard distance from a pixel of `mask` to the nearest pixel outside it (the
    /// frame's outside counts as outside), by two raster passes.
    static func largestDistance(_ mask: [Bool], width: Int, height: Int) -> Int {
        var distance = mask.map { $0 ? Int.max / 2 : 0 }
        func at(_ x: Int, _ y: Int) -> Int { x < 0 || y < 0 || x >= width || y >= height ? 0 : distance[y * width + x] }
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                distance[y * width + x] = min(at(x - 1, y), at(x - 1, y - 1), at(x, y - 1), at(x + 1, y - 1)) + 1
            }
        }
        var largest = 0
        for y in stride(from: height - 1, through: 0, by: -1) {
            for x in stride(from: width - 1, through: 0, by: -1) where mask[y * width + x] {
                let d = min(distance[y * width + x], at(x + 1, y) + 1, at(x + 1, y + 1) + 1, at(x, y + 1) + 1, at(x - 1, y + 1) + 1)
                distance[y * width + x] = d
                largest = max(largest, d)
            }
        }
        return largest
    }

    /// The value below which `share` of `values` lie, for values in 0...1 (others are clamped), to
    /// within 1/4096: a histogram, not a sort.
    static func percentile(_ values: [Float], _ share: Double) -> Float {
        guard !values.isEmpty else { return 0 }
        let bins = 4096
        var histogram = [Int](repeating: 0, count: bins)
        histogram.withUnsafeMutableBufferPointer { h in
            for v in values { h[Int(min(max(v, 0), 1) * Float(bins - 1) + 0.5)] &+= 1 }
        }
        let target = min(values.count - 1, Int(share * Double(values.count - 1)))
        var seen = 0
        for (bin, count) in histogram.enumerated() {
            seen += count
            if seen > target { return Float(bin) / Float(bins - 1) }
        }
        return 1
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
        var stack: [Int] = []
        for start in 0..<(width * height) where labels[start] < 0 && ink.values[start] > threshold {
            let label = Int32(regions.count)
            var region = Region(box: Box(left: start % width, top: start / width, right: start % width, bottom: start / width))
            labels[start] = label
            stack.append(start)
            while let p = stack.popLast() {
                let x = p % width, y = p / width
                let v = ink.values[p]
                region.mass += v
                region.strongest = max(region.strongest, v)
                region.pixels += 1
                region.box = region.box.union(Box(left: x, top: y, right: x, bottom: y))
                if x == 0 || y == 0 || x == width - 1 || y == height - 1 { region.touchesEdge = true }
                for dy in -1...1 {
                    let ny = y + dy
                    guard ny >= 0, ny < height else { continue }
                    for dx in -1...1 {
                        let nx = x + dx
                        guard nx >= 0, nx < width else { continue }
                        let q = ny * width + nx
                        if labels[q] < 0 && ink.values[q] > threshold {
                            labels[q] = label
                            stack.append(q)
                        }
                    }
                }
            }
            regions.append(region)
        }
        return (labels, regions)
    }

    /// The morphological closing: the largest value in the `window` x `window` square around each
    /// pixel, then the smallest of those in the same square. The picture is first extended past its
    /// edges by `window` pixels repeating its edge rows and columns, so that a shadow reaching the
    /// frame's edge stays as wide as it is there (clipped at the edge, a shadow's corner would be
    /// narrower than the window and be filled in as if it were ink).
    static func closing(_ plane: Plane, window: Int) -> Plane {
        let pad = window, width = plane.width, height = plane.height
        let paddedWidth = width + 2 * pad, paddedHeight = height + 2 * pad
        var padded = Plane(width: paddedWidth, height: paddedHeight)
        for y in 0..<paddedHeight {
            let sourceRow = min(height - 1, max(0, y - pad)) * width
            for x in 0..<paddedWidth { padded.values[y * paddedWidth + x] = plane.values[sourceRow + min(width - 1, max(0, x - pad))] }
        }
        extremumFilter(&padded, window: window, maximum: true)
        extremumFilter(&padded, window: window, maximum: false)
        var output = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width { output.values[y * width + x] = padded.values[(y + pad) * paddedWidth + x + pad] }
        }
        return output
    }

    /// The largest (or smallest) value in the `window` x `window` square around each pixel, clipped
    /// at the edges: separable, each direction by van Herk and Gil-Werman's running blocks (three
    /// comparisons a pixel, whatever the window).
    static func extremumFilter(_ plane: inout Plane, window: Int, maximum: Bool) {
        if maximum { extremumFilter(&plane, window: window, Largest.self) } else { extremumFilter(&plane, window: window, Smallest.self) }
    }

    protocol Extremum { static var padding: Float { get }; static func pick(_ a: Float, _ b: Float) -> Float }
    enum Largest: Extremum {
        static var padding: Float { -.infinity }
        @inline(__always) static func pick(_ a: Float, _ b: Float) -> Float { max(a, b) }
    }
    enum Smallest: Extremum {
        static var padding: Float { .infinity }
        @inline(__always) static func pick(_ a: Float, _ b: Float) -> Float { min(a, b) }
    }

    static func extremumFilter<E: Extremum>(_ plane: inout Plane, window: Int, _ kind: E.Type) {
        let width = plane.width, height = plane.height, r = window / 2, k = 2 * r + 1
        // Rows: each row padded by r on both sides, blocks of k, forwards and backwards.
        let length = width + 2 * r
        var padded = [Float](repeating: E.padding, count: length)
        var forward = [Float](repeating: 0, count: length), backward = forward
        plane.values.withUnsafeMutableBufferPointer { values in
            padded.withUnsafeMutableBufferPointer { line in
                forward.withUnsafeMutableBufferPointer { forward in
                    backward.withUnsafeMutableBufferPointer { backward in
                        for y in 0..<height {
                            let row = y &* width
                            for x in 0..<width { line[x &+ r] = values[row &+ x] }
                            var j = 0
                            while j < length {
                                let end = min(j &+ k, length)
                                forward[j] = line[j]
                                var i = j &+ 1
                                while i < end { forward[i] = E.pick(forward[i &- 1], line[i]); i &+= 1 }
                                backward[end &- 1] = line[end &- 1]
                                i = end &- 2
                                while i >= j { backward[i] = E.pick(backward[i &+ 1], line[i]); i &-= 1 }
                                j = end
                            }
                            for x in 0..<width { values[row &+ x] = E.pick(backward[x], forward[x &+ 2 &* r]) }
                        }
                    }
                }
            }
        }
        // Columns, a whole row at a time (the inner loops run along rows, so they vectorise).
        let rows = height + 2 * r
        var forwardRows = [Float](repeating: 0, count: rows * width), backwardRows = forwardRows
        plane.values.withUnsafeMutableBufferPointer { values in
            forwardRows.withUnsafeMutableBufferPointer { forward in
                backwardRows.withUnsafeMutableBufferPointer { backward in
                    // Padded row j is row j - r of the plane, or padding.
                    @inline(__always) func load(_ j: Int, into target: UnsafeMutablePointer<Float>) {
                        if j >= r && j < r &+ height {
                            target.update(from: values.baseAddress! + (j &- r) &* width, count: width)
                        } else {
                            target.update(repeating: E.padding, count: width)
                        }
                    }
                    var j = 0
                    while j < rows {
                        let end = min(j &+ k, rows)
                        load(j, into: forward.baseAddress! + j &* width)
                        var i = j &+ 1
                        while i < end {
                            let target = forward.baseAddress! + i &* width, previous = target - width
                            load(i, into: target)
                            for x in 0..<width { target[x] = E.pick(previous[x], target[x]) }
                            i &+= 1
                        }
                        load(end &- 1, into: backward.baseAddress! + (end &- 1) &* width)
                        i = end &- 2
                        while i >= j {
                            let target = backward.baseAddress! + i &* width, next = target + width
                            load(i, into: target)
                            for x in 0..<width { target[x] = E.pick(next[x], target[x]) }
                            i &-= 1
                        }
                        j = end
                    }
                    for y in 0..<height {
                        let b = backward.baseAddress! + y &* width, f = forward.baseAddress! + (y &+ 2 &* r) &* width
                        let out = values.baseAddress! + y &* width
                        for x in 0..<width { out[x] = E.pick(b[x], f[x]) }
                    }
                }
            }
        }
    }
}

extension InkFinding.Box {
    func clamped(width: Int, height: Int) -> InkFinding.Box {
        InkFinding.Box(left: max(0, left), top: max(0, top), right: min(width - 1, right), bottom: min(height - 1, bottom))
    }
}
