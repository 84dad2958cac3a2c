/// A dense Float32 tensor in row-major (PyTorch's contiguous) order.
public struct Tensor: Sendable, Equatable {
    /// Its dimensions, outermost first.
    public var shape: [Int]
    /// Its values, row-major; as many as the dimensions' product.
    public var scalars: [Float]

    /// A tensor of `shape` holding `scalars`; their count must be the dimensions' product.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of values.
    public var count: Int { scalars.count }
}
