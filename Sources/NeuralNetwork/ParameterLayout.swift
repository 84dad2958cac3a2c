/// One named tensor inside a flat parameter buffer.
public struct ParameterTensor: Sendable, Equatable {
    /// Its name in checkpoints: "conv1.weight".
    public var name: String
    /// Its dimensions, outermost first.
    public var shape: [Int]
    /// The index of its first element in the flat buffer.
    public var offset: Int
    /// Its number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Its elements' indices in the flat buffer.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// The named views of a flat buffer: parameters, their gradients and the optimizer's state all use
/// the same layout, so stepping, zeroing and saving are single loops over one array.
public struct ParameterLayout: Sendable, Equatable {
    /// The tensors, in the buffer's order.
    public let tensors: [ParameterTensor]
    /// The total number of floats.
    public let count: Int

    /// Lays the tensors out one after another, in the given order.
    public init(_ entries: [(name: String, shape: [Int])]) {
        var offset = 0
        var tensors: [ParameterTensor] = []
        for entry in entries {
            let tensor = ParameterTensor(name: entry.name, shape: entry.shape, offset: offset)
            tensors.append(tensor)
            offset += tensor.count
        }
        self.tensors = tensors
        self.count = offset
    }

    /// The tensor named `name`, if there is one.
    public subscript(name: String) -> ParameterTensor? {
        tensors.first { $0.name == name }
    }
}
