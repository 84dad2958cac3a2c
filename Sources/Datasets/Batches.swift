/// Turns image bytes into network input exactly as torchvision's
/// `transforms.Compose([ToTensor(), Normalize((0.5,), (0.5,))])` does, in float32:
///   x = (p / 255 - 0.5) / 0.5
/// The 256 possible values are computed once, with the same operations in the same order, and
/// `fill` computes them again sixteen pixels at a time (`normalize16`), faster than it can look them
/// up, when that gives the table's bits for all 256 bytes (checked when a `Normalization` is made).
public struct Normalization: Sendable {
    /// The input value of each byte 0...255.
    public let table: [Float]
    /// The mean subtracted after scaling to [0, 1] (torchvision's 0.5).
    public let mean: Float
    /// The standard deviation divided by (torchvision's 0.5).
    public let standardDeviation: Float
    /// Whether `normalize16` gives `table`'s bits for every byte: then `fill` uses it.
    public let computesTable: Bool

    /// torchvision's `Normalize((mean,), (standardDeviation,))` after `ToTensor()`, as a table of the
    /// 256 byte values.
    public init(mean: Float = 0.5, standardDeviation: Float = 0.5) {
        self.mean = mean
        self.standardDeviation = standardDeviation
        table = (0..<256).map { (Float($0) / 255 - mean) / standardDeviation }
        let table = self.table
        computesTable = (0..<16).allSatisfy { block in
            let bytes = SIMD16<UInt8>((0..<16).map { UInt8(block * 16 + $0) })
            let values = Self.normalize16(bytes, mean: mean, standardDeviation: standardDeviation)
            return (0..<16).allSatisfy { values[$0].bitPattern == table[block * 16 + $0].bitPattern }
        }
    }

    /// (p / 255 - mean) / standardDeviation for sixteen bytes, with vector operations that round as
    /// the scalar ones do: p / 255 as p * (1/255) corrected once by its exact remainder (two fused
    /// multiply-adds, no division; the correctly rounded quotient for every byte), and the division
    /// by a standard deviation that is a power of two (the write-up's 0.5) as the exact product by
    /// its reciprocal. Without fused multiply-adds, vector divisions.
    @inline(__always)
    static func normalize16(_ bytes: SIMD16<UInt8>, mean: Float, standardDeviation: Float) -> SIMD16<Float> {
        var p = SIMD16<Float>()
        for lane in 0..<16 { p[lane] = Float(bytes[lane]) }
        #if FUSED_MULTIPLY_ADD || arch(arm64)
        let reciprocal = SIMD16<Float>(repeating: 1 / 255)
        let estimate = p * reciprocal
        let remainder = p.addingProduct(-estimate, SIMD16<Float>(repeating: 255))
        let quotient = estimate.addingProduct(remainder, reciprocal)
        #else
        let quotient = p / 255
        #endif
        let centered = quotient - SIMD16<Float>(repeating: mean)
        if standardDeviation.significandBitPattern == 0 && standardDeviation.isNormal {
            return centered * SIMD16<Float>(repeating: 1 / standardDeviation)
        }
        return centered / SIMD16<Float>(repeating: standardDeviation)
    }

    /// The write-up's transform.
    public static let writeup = Normalization()

    /// Writes the normalized pixels of the images `indices` into `input` ([N, 1, rows, columns])
    /// and their labels into `labels`.
    public func fill(_ images: LabeledImages, indices: UnsafeBufferPointer<Int>,
                     input: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int32>) {
        let size = images.imageSize
        table.withUnsafeBufferPointer { table in
            images.pixels.withUnsafeBufferPointer { pixels in
                // Every cache line of every image read first, all at once: the images sit at random
                // places in a data set larger than the caches, and one by one each would wait for
                // its lines from memory in turn. The bytes read are ORed together and the result
                // ANDed with a zero the compiler cannot see (no count of images reaches 2^62), so
                // the reads are kept and the pixels unchanged.
                var touched = 0
                for index in indices {
                    let source = pixels.baseAddress! + index &* size
                    var line = 0
                    while line < size { touched |= Int(source[line]); line &+= 64 }
                    touched |= Int(source[size &- 1])
                }
                let opaqueZero = touched & (indices.count >> 62)
                let zeroBytes = SIMD16<UInt8>(repeating: UInt8(truncatingIfNeeded: opaqueZero))
                for (slot, index) in indices.enumerated() {
                    let source = pixels.baseAddress! + index &* size
                    let target = input + slot &* size
                    var i = 0
                    if computesTable {
                        while i &+ 16 <= size {
                            let bytes = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<UInt8>.self) | zeroBytes
                            let values = Self.normalize16(bytes, mean: mean, standardDeviation: standardDeviation)
                            UnsafeMutableRawPointer(target + i).storeBytes(of: values, as: SIMD16<Float>.self)
                            i &+= 16
                        }
                    }
                    while i < size { target[i] = table[Int(source[i]) | opaqueZero]; i &+= 1 }
                    labels[slot] = Int32(images.labels[index])
                }
            }
        }
    }
}
