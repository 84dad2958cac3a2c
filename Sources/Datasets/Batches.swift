/// Turns image bytes into network input exactly as torchvision's
/// `transforms.Compose([ToTensor(), Normalize((0.5,), (0.5,))])` does, in float32:
///   x = (p / 255 - 0.5) / 0.5
/// The 256 possible values are computed once, with the same operations in the same order.
public struct Normalization: Sendable {
    public let table: [Float]
    public let mean: Float
    public let standardDeviation: Float

    public init(mean: Float = 0.5, standardDeviation: Float = 0.5) {
        self.mean = mean
        self.standardDeviation = standardDeviation
        table = (0..<256).map { (Float($0) / 255 - mean) / standardDeviation }
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
                for (slot, index) in indices.enumerated() {
                    let source = pixels.baseAddress! + index &* size
                    let target = input + slot &* size
                    for i in 0..<size { target[i] = table[Int(source[i]) | opaqueZero] }
                    labels[slot] = Int32(images.labels[index])
                }
            }
        }
    }
}
