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
                for (slot, index) in indices.enumerated() {
                    let source = pixels.baseAddress! + index &* size
                    let target = input + slot &* size
                    for i in 0..<size { target[i] = table[Int(source[i])] }
                    labels[slot] = Int32(images.labels[index])
                }
            }
        }
    }
}
