import Datasets
import FileFormats
import Kernels
import Imaging
import NeuralNetwork
import Support

/// A model whose parameters are one flat buffer laid out by `layout`: saved and loaded as
/// safetensors with the layout's names and shapes, its kind in the metadata.
public protocol FlatParameterModel: Sendable {
    /// The model kind recorded in checkpoints' metadata ("model").
    static var kind: String { get }
    /// The names, shapes and places of its tensors in `parameters`.
    var layout: ParameterLayout { get }
    /// Every weight, in `layout`'s order.
    var parameters: [Float] { get }
    /// The layout a checkpoint of this model must have (for the write-up's model, its class count
    /// is read from the file's fc3.bias).
    static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout
    /// The model with these weights, laid out by `layout` (one `expectedLayout` gave).
    init(parameters: [Float], layout: ParameterLayout)
}

extension FlatParameterModel {
    /// Loads a safetensors checkpoint: every tensor of the layout present, float32, shaped as
    /// expected, and no other tensor (as PyTorch's `load_state_dict(strict=True)`).
    public init(checkpoint path: String) throws(SafeTensorsError) {
        try self.init(safeTensors: SafeTensorsFile(contentsOf: path))
    }

    /// Loads a parsed safetensors file, checked as `init(checkpoint:)` checks it.
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


/// A model kind: a `Network` (its list of layers) with its weights, and everything that differs
/// from one kind to the next. Training, evaluation, export, the benchmark, the reports and the server
/// take any of them, and know nothing else about a kind; `ModelKinds.all` lists them.
public protocol LayeredModel: FlatParameterModel, Equatable {
    /// Its layers: everything the passes, the export and the tables need.
    var network: Network { get }
    /// Every weight, in the network's layout; training changes them in place.
    var parameters: [Float] { get set }
    /// How a 28x28 image (bytes, ink 255 on 0) becomes the network's input.
    static var inputPreparation: InputPreparation { get }
    /// How tables and the page name it: "LeNet-5 (1998)".
    static var title: String { get }
    /// The network for `classes` outputs, or nil when it has a fixed set (the RBF's ten digits).
    static func network(outputs classes: Int) -> Network?
    /// A new model whose weights are drawn from `seed`; `initialization` applies to kinds that start
    /// as the 1998 paper does (`startsAsThePaper`).
    init(seed: UInt64, classes: Int, initialization: PaperInitialization)
    /// Whether its weights start by the paper's rule (`PaperInitialization`) rather than PyTorch's.
    static var startsAsThePaper: Bool { get }
    /// The training method it is trained with unless told otherwise.
    static var defaultOptimizer: OptimizerKind { get }
    /// Its rows in the family's table (docs/RESULTS.md), as measured with this code.
    static var measured: [MeasuredResult] { get }
}

extension LayeredModel {
    /// Scores per image: logits or penalties, one per class.
    public var classes: Int { network.outputCount }
    /// What its scores are: logits (the largest wins) or penalties (the smallest wins).
    public var scores: ScoreKind { network.scores }
    /// The loss the model is trained with unless told otherwise: cross-entropy for logits, the
    /// paper's eq. 8 for penalties.
    public var defaultLoss: OutputLoss { network.scores == .logits ? .crossEntropy : .penalty(.meanSquaredError) }
}

/// A kind with one network of ten outputs whose weights start by the paper's rule (LeNet-1,
/// LeNet-4): its file states the network and its own facts, and these defaults say the rest.
public protocol FixedNetworkModel: LayeredModel {
    /// The kind's one network.
    static var network: Network { get }
    /// The model with these weights, in the network's layout.
    init(parameters: [Float])
}

extension FixedNetworkModel {
    public var network: Network { Self.network }
    public var layout: ParameterLayout { Self.network.layout }
    public static var startsAsThePaper: Bool { true }
    public static func network(outputs classes: Int) -> Network? { classes == 10 ? network : nil }
    public static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout { network.layout }
    public init(parameters: [Float], layout: ParameterLayout) { self.init(parameters: parameters) }
    public init(seed: UInt64, classes: Int, initialization: PaperInitialization) {
        self.init(parameters: Self.network.initialParameters(initialization.rule, seed: seed))
    }
}

/// One row of the family's table: a kind trained one way, its test error on MNIST over seeds 0-2.
public struct MeasuredResult: Sendable, Equatable {
    /// What it is, in a few words.
    public var name: String
    /// The mean test error over `detail`'s seeds.
    public var testError: Double
    /// Each seed's error, and the paper's where it has one.
    public var detail: String
    /// One run's training time, the whole command, on the machine of docs/RESULTS.md.
    public var time: String
    /// Trainable parameters.
    public var parameters: Int
    /// The command that trains it: "lenet train --model lenet5-1998".
    public var command: String
    /// Which runs follow this row: their metadata's "recipe" ("modern" or nil) and whether they
    /// were trained on distortions.
    public var recipe: String?
    /// Whether those runs were trained on distortions.
    public var distortions: Bool

    /// A row; see the properties.
    public init(name: String, testError: Double, detail: String, time: String, parameters: Int, command: String,
                recipe: String? = nil, distortions: Bool = false) {
        self.name = name
        self.testError = testError
        self.detail = detail
        self.time = time
        self.parameters = parameters
        self.command = command
        self.recipe = recipe
        self.distortions = distortions
    }
}

/// How images become a network's input: each byte p (ink 255 on 0) becomes a value (torchvision's
/// or the paper's), the image optionally shrunk to a smaller digit first (LeNet-1's 16x16), and
/// the whole set in a field with `padding` pixels of background on every side.
public struct InputPreparation: Sendable, Equatable {
    /// How a byte becomes a value.
    public enum Values: Sendable, Equatable {
        /// torchvision's `ToTensor()` then `Normalize((0.5,), (0.5,))`: (p/255 - 0.5)/0.5.
        case torchvision
        /// The 1998 paper's (Sec. II-B): background -0.1, ink 1.175: v = -0.1 + 1.275 p/255.
        case paper
    }
    /// How each byte becomes a value.
    public var values: Values
    /// Background pixels added on each side.
    public var padding: Int
    /// The side the image is first shrunk to (by area), centred in its own frame; nil keeps it.
    public var digitSide: Int?

    /// `shrinking(from: 28, to: digitSide)`, made once: every image of a 28x28 data set uses it.
    private let shrinking28: [Float]

    /// A preparation of `values`, with `padding` pixels of background added on each side, after
    /// shrinking to `digitSide` when it is given.
    public init(values: Values, padding: Int = 0, digitSide: Int? = nil) {
        self.values = values
        self.padding = padding
        self.digitSide = digitSide
        shrinking28 = digitSide.map { Self.shrinking(from: 28, to: $0) } ?? []
    }

    /// The write-up's: the image as it is, torchvision's values.
    public static let writeup = InputPreparation(values: .torchvision)
    /// The 1998 paper's: the 28x28 digit in the middle of a 32x32 field.
    public static let paperPadded = InputPreparation(values: .paper, padding: 2)

    /// The paper's background value: -0.1.
    public static let background: Float = -0.1
    /// The paper's ink value: 1.175.
    public static let ink: Float = 1.175
    /// The value of a pixel with no ink.
    public var backgroundValue: Float { values == .torchvision ? -1 : Self.background }

    /// Floats of input for an image of `rows` x `columns`.
    public func inputCount(rows: Int, columns: Int) -> Int { (rows + 2 * padding) * (columns + 2 * padding) }

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
        if values == .torchvision && padding == 0 && digitSide == nil {
            Normalization.writeup.table.withUnsafeBufferPointer { table in
                for i in 0..<(rows * columns) { input[i] = table[Int(pixels[i])] }
            }
            return
        }
        let width = columns + 2 * padding, background = backgroundValue
        let scale = values == .torchvision ? Float(2) / 255 : (Self.ink - Self.background) / 255
        input.update(repeating: background, count: (rows + 2 * padding) * width)
        guard let side = digitSide else {
            for y in 0..<rows {
                for x in 0..<columns { input[(y + padding) * width + x + padding] = background + scale * Float(pixels[y * columns + x]) }
            }
            return
        }
        // Shrunk by area: each output pixel the mean of the input it covers, as the matrices
        // `shrinking` give it (out = R P C^T), then centred.
        let down = rows == 28 ? shrinking28 : Self.shrinking(from: rows, to: side)
        let across = columns == 28 ? shrinking28 : Self.shrinking(from: columns, to: side)
        let top = padding + (rows - side) / 2, left = padding + (columns - side) / 2
        withUnsafeTemporaryAllocation(of: Float.self, capacity: side * columns) { halfway in
            halfway.initialize(repeating: 0)
            for i in 0..<side {
                for y in 0..<rows where down[i * rows + y] != 0 {
                    let weight = down[i * rows + y]
                    for x in 0..<columns { halfway[i * columns + x] += weight * Float(pixels[y * columns + x]) }
                }
            }
            for i in 0..<side {
                for j in 0..<side {
                    var sum: Float = 0
                    for x in 0..<columns { sum += halfway[i * columns + x] * across[j * columns + x] }
                    input[(top + i) * width + left + j] = background + scale * sum
                }
            }
        }
    }

    /// The [to, from] matrix that shrinks a line of `from` pixels to `to` by area: row i averages
    /// the input over [i from/to, (i+1) from/to), partial pixels weighted by the part covered. Each
    /// row sums to 1.
    public static func shrinking(from: Int, to: Int) -> [Float] {
        var matrix = [Float](repeating: 0, count: to * from)
        let step = Double(from) / Double(to)
        for i in 0..<to {
            let start = Double(i) * step, end = start + step
            for x in Int(start.rounded(.down))..<min(from, Int(end.rounded(.up))) {
                let covered = min(end, Double(x + 1)) - max(start, Double(x))
                if covered > 0 { matrix[i * from + x] = Float(covered / step) }
            }
        }
        return matrix
    }
}
