/// A dense Float32 tensor in row-major (PyTorch's contiguous) order.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    public var count: Int { scalars.count }
}
