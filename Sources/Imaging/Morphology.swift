/// Grey-level morphology on planes: the closing that estimates a photo's paper under its strokes,
/// and the running extremum it is made of.
extension InkFinding {
    /// The morphological closing: the largest value in the `window` x `window` square around each
    /// pixel, then the smallest of those in the same square. The picture is first extended past its
    /// edges by `window` pixels, each outer row or column repeating its edge row or column closed
    /// along its length (with the same window): so a shadow reaching the frame's edge stays as wide
    /// as it is there (clipped at the edge, a shadow's corner would be narrower than the window and
    /// be filled in as if it were ink), while a stroke that only touches the edge is not drawn out
    /// past it into something as wide as a shadow.
    static func closing(_ plane: Plane, window: Int) -> Plane {
        let pad = window, width = plane.width, height = plane.height
        let paddedWidth = width + 2 * pad, paddedHeight = height + 2 * pad
        // The edges, each closed along its length.
        func closedLine(_ values: [Float]) -> [Float] {
            var line = Plane(width: values.count, height: 1, values: values)
            line = closing1D(line, window: window)
            return line.values
        }
        let top = closedLine(Array(plane.values[0..<width]))
        let bottom = closedLine(Array(plane.values[((height - 1) * width)..<(height * width)]))
        let left = closedLine((0..<height).map { plane.values[$0 * width] })
        let right = closedLine((0..<height).map { plane.values[$0 * width + width - 1] })
        var padded = Plane(width: paddedWidth, height: paddedHeight)
        for y in 0..<paddedHeight {
            let sourceY = y - pad
            for x in 0..<paddedWidth {
                let sourceX = min(width - 1, max(0, x - pad))
                let value: Float
                if sourceY < 0 { value = top[sourceX] }
                else if sourceY >= height { value = bottom[sourceX] }
                else if x < pad { value = left[sourceY] }
                else if x >= pad + width { value = right[sourceY] }
                else { value = plane.values[sourceY * width + sourceX] }
                padded.values[y * paddedWidth + x] = value
            }
        }
        extremumFilter(&padded, window: window, maximum: true)
        extremumFilter(&padded, window: window, maximum: false)
        var output = Plane(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width { output.values[y * width + x] = padded.values[(y + pad) * paddedWidth + x + pad] }
        }
        return output
    }

    /// The closing of a one-row plane along its row, its ends extended by repeating them.
    static func closing1D(_ line: Plane, window: Int) -> Plane {
        let pad = window, count = line.width
        var padded = Plane(width: count + 2 * pad, height: 1)
        for x in 0..<padded.width { padded.values[x] = line.values[min(count - 1, max(0, x - pad))] }
        extremumFilter(&padded, window: window, maximum: true)
        extremumFilter(&padded, window: window, maximum: false)
        return Plane(width: count, height: 1, values: Array(padded.values[pad..<(pad + count)]))
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
