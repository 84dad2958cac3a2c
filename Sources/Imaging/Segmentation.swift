/// Cuts a line of handwriting into candidate digits, as the 1998 paper's heuristic
/// over-segmentation does (Secs. V-VIII): more cuts than there are digits, so that the right ones
/// are among them, and a recogniser to tell which segments are digits.
///
/// 1. **Strokes**: the line's ink above `DigitPreprocessing.inkThreshold`, in 8-connected pieces
///    (each faint pixel at a stroke's edge goes with the stroke beside it); specks with under 1% of
///    the largest piece's ink are left out. The digits' height `digitHeight` is the median height of
///    the pieces with at least 30% of the largest's ink.
/// 2. **Cuts**: a piece wider than half the digits' height may be digits touching. Its ink is
///    summed column by column (the profile, smoothed by 1-2-1); its local minima, deepest first, at
///    least a sixteenth of the height from its ends and a tenth of it apart (ten per height of its
///    width at most), are candidate cuts: many, so that the right ones are among them. Each cut runs from the piece's top to its bottom along the path
///    that crosses the least ink (dynamic programming, a column to the side at most per row, within
///    0.14 of the height of the minimum), so it follows the gap between slanted or overlapping
///    digits instead of going straight through them.
/// 3. **Atoms**: the pieces between cuts, in reading order (by their ink's centre, left to right).
/// 4. **Segments**: runs of up to `maximumAtoms` consecutive atoms, at most 1.6 times the digits'
///    height wide and with no gap along the line wider than 0.3 of it inside; each is framed as
///    MNIST's digits are (`DigitPreprocessing.frame`). A reading is a path of segments covering
///    every atom once: the segmentation graph, whose nodes are the places between atoms.
public struct Segmentation: Sendable {
    /// A piece of the line between cuts.
    public struct Atom: Sendable, Equatable {
        /// Its box in the line's plane.
        public var box: InkFinding.Box
        /// Its ink: the sum of its plane values.
        public var mass: Float
        /// The centre of its ink along the line.
        public var centre: Float
    }

    /// A run of atoms framed as a digit.
    public struct Segment: Sendable {
        /// The atoms `first..<end`.
        public var first: Int, end: Int
        /// 28x28 bytes, ink 255 on 0, as the network reads them.
        public var pixels: [UInt8]
        /// The segment's box in the picture's pixels.
        public var box: InkFinding.Box
    }

    /// The most atoms one segment may join (a digit cut into that many pieces).
    public static let maximumAtoms = 6

    /// The line it cuts.
    public let line: InkFinding.Line
    /// The atoms in reading order.
    public let atoms: [Atom]
    /// The digits' height in the line's plane (pixels).
    public let digitHeight: Int
    /// Which atom each pixel of the plane belongs to (-1: none).
    public let owner: [Int32]

    /// Cuts `line` into atoms, and finds which runs of them may be digits.
    public init(_ line: InkFinding.Line) {
        self.line = line
        let plane = line.plane, width = plane.width, height = plane.height
        // Step 1: strokes.
        let (labels, regions) = InkFinding.connectedRegions(plane, above: DigitPreprocessing.inkThreshold)
        let largest = regions.map(\.mass).max() ?? 0
        let kept = regions.map { $0.mass >= 0.01 * largest }
        let tall = regions.filter { $0.mass >= 0.3 * largest }.map(\.box.height).sorted()
        let digitHeight = max(1, tall.isEmpty ? height : tall[tall.count / 2])
        self.digitHeight = digitHeight
        var label = labels
        // Faint edge pixels go with a stroke beside them.
        for y in 0..<height {
            for x in 0..<width where label[y * width + x] < 0 && plane.values[y * width + x] > 0 {
                search: for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) where labels[ny * width + nx] >= 0 {
                        label[y * width + x] = labels[ny * width + nx]
                        break search
                    }
                }
            }
        }
        // Step 2: cuts, as paths (a column per row of the piece's box).
        var cuts: [[Int]] = Array(repeating: [], count: regions.count)
        var paths: [[[Int]]] = Array(repeating: [], count: regions.count)
        for (r, region) in regions.enumerated() where kept[r] && 2 * region.box.width > digitHeight {
            cuts[r] = Self.cutColumns(plane, label: label, region: Int32(r), box: region.box, digitHeight: digitHeight)
            paths[r] = cuts[r].map { Self.cutPath(plane, label: label, region: Int32(r), box: region.box, column: $0, digitHeight: digitHeight) }
            // Paths keep their order.
            for k in paths[r].indices.dropFirst() {
                for y in paths[r][k].indices { paths[r][k][y] = max(paths[r][k][y], paths[r][k - 1][y] + 1) }
            }
        }
        // Step 3: atoms: (region, piece) pairs, numbered, then put in reading order.
        var firstAtom = [Int](repeating: 0, count: regions.count)
        var atomCount = 0
        for r in regions.indices where kept[r] { firstAtom[r] = atomCount; atomCount += paths[r].count + 1 }
        var owner = [Int32](repeating: -1, count: width * height)
        var mass = [Float](repeating: 0, count: atomCount), sumX = [Float](repeating: 0, count: atomCount)
        var boxes = [InkFinding.Box?](repeating: nil, count: atomCount)
        for y in 0..<height {
            for x in 0..<width {
                let r = Int(label[y * width + x])
                guard r >= 0, kept[r] else { continue }
                // (A faint edge pixel may lie a row past its stroke's box.)
                let row = min(max(y - regions[r].box.top, 0), regions[r].box.height - 1)
                var piece = 0
                for path in paths[r] where x >= path[row] { piece += 1 }
                let atom = firstAtom[r] + piece
                owner[y * width + x] = Int32(atom)
                let v = plane.values[y * width + x]
                mass[atom] += v
                sumX[atom] += v * Float(x)
                let here = InkFinding.Box(left: x, top: y, right: x, bottom: y)
                boxes[atom] = boxes[atom]?.union(here) ?? here
            }
        }
        var atoms: [(index: Int, atom: Atom)] = []
        for a in 0..<atomCount where mass[a] > 0 {
            guard let box = boxes[a] else { continue }
            atoms.append((a, Atom(box: box, mass: mass[a], centre: sumX[a] / mass[a])))
        }
        atoms.sort { $0.atom.centre < $1.atom.centre }
        var order = [Int32](repeating: -1, count: atomCount)
        for (position, entry) in atoms.enumerated() { order[entry.index] = Int32(position) }
        self.owner = owner.map { $0 >= 0 ? order[Int($0)] : -1 }
        self.atoms = atoms.map(\.atom)
    }

    /// Step 2's candidate cuts of one piece: columns at the deepest minima of its smoothed profile.
    static func cutColumns(_ plane: InkFinding.Plane, label: [Int32], region: Int32, box: InkFinding.Box, digitHeight: Int) -> [Int] {
        let width = plane.width
        var profile = [Float](repeating: 0, count: box.width)
        for y in box.top...box.bottom {
            for x in box.left...box.right where label[y * width + x] == region { profile[x - box.left] += plane.values[y * width + x] }
        }
        let smooth = profile.indices.map { i in
            (profile[max(0, i - 1)] + 2 * profile[i] + profile[min(profile.count - 1, i + 1)]) / 4
        }
        let end = max(2, digitHeight / 16), apart = max(2, digitHeight / 10)
        guard box.width > 2 * end + 2 else { return [] }
        // (Every local minimum: fewer, the deepest within a fifth or a tenth of the height, read
        // 54.5% and 70.5% of the tuning numbers that touch, against 77.5%.)
        let minima = (end..<(box.width - end)).filter { (i: Int) -> Bool in
            smooth[i] <= smooth[max(0, i - 1)] && smooth[i] <= smooth[min(box.width - 1, i + 1)]
        }.sorted { (a: Int, b: Int) -> Bool in smooth[a] < smooth[b] || (smooth[a] == smooth[b] && a < b) }
        var chosen: [Int] = []
        let most = max(1, min(box.width * 10 / digitHeight, 200))
        for i in minima where chosen.count < most && chosen.allSatisfy({ abs($0 - i) >= apart }) { chosen.append(i) }
        return chosen.sorted().map { $0 + box.left }
    }

    /// Step 2's path of a cut: for each row of the piece's box, the column where the cut crosses
    /// it, along the least ink within 0.14 of the digits' height of `column`.
    static func cutPath(_ plane: InkFinding.Plane, label: [Int32], region: Int32, box: InkFinding.Box, column: Int, digitHeight: Int) -> [Int] {
        let reach = max(2, 14 * digitHeight / 100)
        let low = max(box.left, column - reach), high = min(box.right, column + reach)
        let span = high - low + 1, rows = box.height, width = plane.width
        var cost = [Float](repeating: 0, count: span * rows)
        var from = [Int8](repeating: 0, count: span * rows)
        for row in 0..<rows {
            let y = box.top + row
            for c in 0..<span {
                let x = low + c
                let ink = label[y * width + x] == region ? plane.values[y * width + x] : 0
                // A slight preference for going straight, and for the minimum's column.
                var best = Float.infinity, step: Int8 = 0
                if row == 0 {
                    best = 0.01 * Float(abs(x - column))
                } else {
                    for d in -1...1 where c + d >= 0 && c + d < span {
                        let previous = cost[(row - 1) * span + c + d] + (d == 0 ? 0 : 0.05)
                        if previous < best { best = previous; step = Int8(d) }
                    }
                }
                cost[row * span + c] = best + ink
                from[row * span + c] = step
            }
        }
        var c = (0..<span).min { cost[(rows - 1) * span + $0] < cost[(rows - 1) * span + $1] } ?? 0
        var path = [Int](repeating: 0, count: rows)
        for row in stride(from: rows - 1, through: 0, by: -1) {
            path[row] = low + c
            c += Int(from[row * span + c])
        }
        return path
    }

    /// Whether atoms `first..<end` may be one digit: step 4's width and gap rules (a single atom
    /// always may).
    public func allows(_ first: Int, _ end: Int) -> Bool {
        guard end - first > 1 else { return true }
        guard end - first <= Self.maximumAtoms else { return false }
        let part = atoms[first..<end]
        let left = part.map(\.box.left).min() ?? 0, right = part.map(\.box.right).max() ?? 0
        guard 10 * (right - left + 1) <= 16 * digitHeight else { return false }
        var reached = Int.min
        for atom in part.sorted(by: { $0.box.left < $1.box.left }) {
            if reached != Int.min && 10 * (atom.box.left - reached) > 3 * digitHeight { return false }
            reached = max(reached, atom.box.right)
        }
        return true
    }

    /// Segments are framed as if at least this tall or wide: 80% of the digits' height, so that a
    /// piece of a digit is not blown up into the shape of a whole one.
    public var smallestSide: Int { 4 * digitHeight / 5 }

    /// Atoms `first..<end` framed as a digit (nil if their ink is too faint to frame).
    public func segment(_ first: Int, _ end: Int) -> Segment? {
        let part = atoms[first..<end]
        var box = part[first].box
        for atom in part.dropFirst() { box = box.union(atom.box) }
        let width = line.plane.width
        var values = [Float](repeating: 0, count: box.width * box.height)
        for y in box.top...box.bottom {
            for x in box.left...box.right {
                let o = Int(owner[y * width + x])
                if o >= first && o < end { values[(y - box.top) * box.width + x - box.left] = line.plane.values[y * width + x] }
            }
        }
        guard let pixels = try? DigitPreprocessing.frame(values, width: box.width, height: box.height, smallestSide: smallestSide) else { return nil }
        return Segment(first: first, end: end, pixels: pixels, box: line.pictureBox(box))
    }

    /// Every segment step 4 allows.
    public func segments() -> [Segment] {
        var all: [Segment] = []
        for first in atoms.indices {
            for end in (first + 1)...min(atoms.count, first + Self.maximumAtoms) where allows(first, end) {
                if let segment = segment(first, end) { all.append(segment) }
            }
        }
        return all
    }
}
