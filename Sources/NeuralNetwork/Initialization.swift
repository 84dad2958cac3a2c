import Support

/// PyTorch's default initialisation of `Conv2d` and `Linear`: weights by
/// `kaiming_uniform_(a: sqrt(5))`, which is uniform in ±gain*sqrt(3/fan_in) with
/// gain = sqrt(2/(1+5)), that is ±1/sqrt(fan_in); biases uniform in ±1/sqrt(fan_in).
/// fan_in is in_channels*k*k for a convolution and in_features for a linear layer.
/// The numbers come from our seeded generator, not PyTorch's, so the values differ from
/// PyTorch's for the same seed; the distribution is the same.
public enum Initialization {
    public static func pytorchDefault(_ values: inout [Float], tensor: ParameterTensor, fanIn: Int,
                                      generator: inout SeededGenerator) {
        let bound = 1 / Float(fanIn).squareRoot()
        for i in tensor.range { values[i] = generator.nextFloat(symmetricBound: bound) }
    }
}
