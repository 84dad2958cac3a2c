import Datasets
import Kernels
import Imaging
import NeuralNetwork
import Support

/// A model whose parameters are one flat buffer laid out by `layout`: saved and loaded as
/// safetensors with the layout's names and shapes, its kind in the metadata.
public protocol FlatParameterModel: Sendable {
    /// The model kind recorded in checkpoints' metadata ("model").
    static var kind: String { get }
    var layout: ParameterLayout { get }
    var parameters: [Float] { get }
    /// The layout a checkpoint of this model must have (for the write-up's model, its class count
    /// is read from the file's fc3.bias).
    static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout
    init(parameters: [Float], layout: ParameterLayout)
}

extension FlatParameterModel {
    /// Loads a safetensors checkpoint: every tensor of the layout present, float32, shaped as
    /// expected, and no other tensor (as PyTorch's `load_state_dict(strict=True)`).
    public init(checkpoint path: String) throws(SafeTensorsError) {
        try self.init(safeTensors: SafeTensorsFile(contentsOf: path))
    }

    public init(safeTensors file: SafeTensorsFile) throws(SafeTensorsError) {
        let layout = try Self.expectedLayout(of: file)
        var values = [Float](repeating: 0, count: layout.count)
        for view in layout.tensors {
            let tensor = try file.floats(view.name, shape: view.shape)
            values.replaceSubrange(view.range, with: tensor.scalars)
        }
        let unexpected = file.entries.keys.filter { layout[$0] == nil }
        guard unexpected.isEmpty else { throw .unexpectedTensors(file: file.path, names: unexpected) }
        self.init(parameters: values, layout: layout)
    }

    /// The named tensor, copied out.
    public func tensor(_ name: String) -> Tensor? {
        guard let view = layout[name] else { return nil }
        return Tensor(shape: view.shape, scalars: Array(parameters[view.range]))
    }

    /// Saves the model as safetensors, atomically. `metadata` is stored beside PyTorch's "format": "pt"
    /// and the model kind.
    public func save(to path: String, metadata: [String: String] = [:]) throws(FileError) {
        let tensors = layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(parameters[$0.range]))) }
        var fullMetadata = metadata
        fullMetadata["format"] = "pt"
        fullMetadata[MetadataKey.model] = Self.kind
        try SafeTensorsFile.write(tensors, metadata: fullMetadata, to: path)
    }
}


/// A model that is a `Network` (its list of layers) with its weights, and the way images become its
/// input. Both LeNet-5s are; training, evaluation, the benchmark and the server take any of them.
public protocol LayeredModel: FlatParameterModel, Equatable {
    var network: Network { get }
    var parameters: [Float] { get set }
    static var inputPreparation: InputPreparation { get }
}

extension LayeredModel {
    /// Scores per image: logits or penalties, one per class.
    public var classes: Int { network.outputCount }
    public var scores: ScoreKind { network.scores }
    /// The loss the model is trained with unless told otherwise: cross-entropy for logits, the
    /// paper's eq. 8 for penalties.
    public var defaultLoss: OutputLoss { network.scores == .logits ? .crossEntropy : .penalty(.meanSquaredError) }
}

/// How images become a network's input.
public enum InputPreparation: Sendable, Equatable {
    /// torchvision's `ToTensor()` then `Normalize((0.5,), (0.5,))`: (p/255 - 0.5)/0.5, the image as it is.
    case writeup
    /// The 1998 paper's (Sec. II-B): the 28x28 digit in the middle of a 32x32 field, background -0.1,
    /// ink 1.175: v = -0.1 + 1.275 p/255.
    case paperPadded

    public static let background: Float = -0.1
    public static let ink: Float = 1.175

    /// Floats of input for an image of `rows` x `columns`.
    public func inputCount(rows: Int, columns: Int) -> Int {
        self == .writeup ? rows * columns : (rows + 4) * (columns + 4)
    }

    /// Writes the input of the images `indices` of `data` into `input` (one after another) and their
    /// labels into `labels`. With `distortion`, each image is first resampled through the transform it
    /// returns for the image's slot (training's augmentation).
    public func fill(_ data: LabeledImages, indices: UnsafeBufferPointer<Int>, input: UnsafeMutablePointer<Float>,
                     labels: UnsafeMutablePointer<Int32>, distortion: ((_ slot: Int) -> AffineDistortion.Transform)? = nil) {
        if self == .writeup && distortion == nil {
            Normalization.writeup.fill(data, indices: indices, input: input, labels: labels)
            return
        }
        let count = inputCount(rows: data.rows, columns: data.columns), size = data.imageSize
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: distortion == nil ? 0 : size) { distorted in
            data.pixels.withUnsafeBufferPointer { pixels in
                for (slot, index) in indices.enumerated() {
                    var source = pixels.baseAddress! + index &* size
                    if let distortion {
                        AffineDistortion.apply(distortion(slot), to: source, width: data.columns, height: data.rows, output: distorted.baseAddress!)
                        source = UnsafePointer(distorted.baseAddress!)
                    }
                    prepare(source, rows: data.rows, columns: data.columns, into: input + slot &* count)
                    labels[slot] = Int32(data.labels[index])
                }
            }
        }
    }

    /// The input of one image of bytes (ink 255 on 0).
    public func prepare(_ pixels: UnsafePointer<UInt8>, rows: Int = 28, columns: Int = 28, into input: UnsafeMutablePointer<Float>) {
        switch self {
        case .writeup:
            Normalization.writeup.table.withUnsafeBufferPointer { table in
                for i in 0..<(rows * columns) { input[i] = table[Int(pixels[i])] }
            }
        case .paperPadded:
            let width = columns + 4, background = Self.background
            input.update(repeating: background, count: (rows + 4) * width)
            let scale = (Self.ink - background) / 255
            for y in 0..<rows {
                for x in 0..<columns { input[(y + 2) * width + x + 2] = background + scale * Float(pixels[y * columns + x]) }
            }
        }
    }
}
