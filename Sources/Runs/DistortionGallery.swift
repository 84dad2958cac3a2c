import Datasets
import Imaging
import Support

extension AffineDistortion {
    /// A picture of what the distortions do: the first `columns` images of `data` in the top row,
    /// then `rows` rows of random distortions of each, 28x28 cells 2 pixels apart, ink dark on white.
    public func gallery(of data: LabeledImages, columns: Int = 10, rows: Int = 5, seed: UInt64) -> Image {
        let cell = 28, gap = 2
        let width = columns * (cell + gap) + gap, height = (rows + 1) * (cell + gap) + gap
        var pixels = [UInt8](repeating: 255, count: width * height)
        var generator = SeededGenerator(seed: seed)
        var distorted = [UInt8](repeating: 0, count: cell * cell)
        data.pixels.withUnsafeBufferPointer { source in
            for column in 0..<min(columns, data.count) {
                for row in 0...rows {
                    let image = source.baseAddress! + column * cell * cell
                    if row == 0 {
                        distorted.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: image, count: cell * cell) }
                    } else {
                        let transform = random(using: &generator)
                        distorted.withUnsafeMutableBufferPointer {
                            AffineDistortion.apply(transform, to: image, width: cell, height: cell, output: $0.baseAddress!)
                        }
                    }
                    for y in 0..<cell {
                        for x in 0..<cell {
                            pixels[(gap + row * (cell + gap) + y) * width + gap + column * (cell + gap) + x] = 255 - distorted[y * cell + x]
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: pixels)
    }
}
