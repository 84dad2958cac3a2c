import Foundation
import Imaging
import NeuralNetwork

/// Reads the character in a picture a person drew, scanned, cropped or photographed: the picture is
/// decoded to grey, made into MNIST's 28x28 form (`DigitPreprocessing`), and read by a model.
///
///     let reader = try Reader.shipped()                       // the best shipped model
///     let answer = try reader.classify(contentsOf: "digit.png")
///     print(answer.name, answer.probability)                  // "7" 0.9996
public struct Reader: Sendable {
    /// The model that reads.
    public let model: AnyLeNet
    /// The checkpoint's metadata (empty for a model given as is).
    public let metadata: [String: String]
    /// What each class is called: the checkpoint's "class_names", else "0", "1", ...
    public let classNames: [String]
    /// The checkpoint's path (for saying which model answers).
    public let checkpoint: String

    /// A reader with a model in memory (one just trained, say).
    public init(model: AnyLeNet, metadata: [String: String] = [:], checkpoint: String = "") {
        self.model = model
        self.metadata = metadata
        self.checkpoint = checkpoint
        classNames = Evaluation.classNames(metadata, classes: model.classes)
    }

    /// A reader with the model in a checkpoint file.
    public init(checkpoint path: String) throws {
        let (model, metadata) = try AnyLeNet.load(path)
        self.init(model: model, metadata: metadata, checkpoint: path)
    }

    /// A reader with a model shipped in the repository's `models/` (the best one by default).
    public static func shipped(_ model: ShippedModel = .standard) throws -> Reader {
        try Reader(checkpoint: try model.located())
    }

    /// The model's answer for one picture.
    public struct Answer: Sendable {
        /// The class read, and its name ("7", or "Ankle boot" for Fashion-MNIST).
        public var prediction: Int
        /// Its name: the class names of the checkpoint, or "0" ... "9".
        public var name: String
        /// Softmax of the scores, one per class.
        public var probabilities: [Double]
        /// The raw outputs: logits, or the 1998 model's RBF penalties.
        public var scores: [Float]
        /// "logits" or "penalties".
        public var scoreName: String
        /// The 28x28 image the network saw, row by row, ink 255 on 0.
        public var input: [UInt8]
        /// Where the character is in the picture (nil for a 28x28 digit given as is).
        public var box: InkFinding.Box?
        /// How it was read (plain or photo, dark or light ink), when it came from a picture.
        public var polarity: InkFinding.Polarity?
        /// The network's own reading, with C1's and C3's feature maps.
        public var network: AnyLeNet.Reading

        /// The probability of the class read.
        public var probability: Double { probabilities[prediction] }
    }

    // Never inlined into a caller's module: there, Swift 6.3's optimizer crashes ("swifterror value
    // can only be loaded and stored from") on a top-level `try Reader.shipped().classify(contentsOf:)`.
    /// Reads the picture in a file (PNG, JPEG, PGM/PPM/PBM).
    @inline(never)
    public func classify(contentsOf path: String) throws -> Answer {
        try classify(try ImageFile.readGrey(path))
    }

    /// Reads the picture in a file (PNG, JPEG, PGM/PPM/PBM).
    public func classify(contentsOf url: URL) throws -> Answer {
        try classify(contentsOf: url.path)
    }

    /// Reads a picture's grey levels.
    public func classify(_ picture: GreyPicture) throws(DigitPreprocessing.Failure) -> Answer {
        let prepared = try DigitPreprocessing.prepared(picture, confidence: confidence)
        var answer = classify(digit: prepared.pixels)
        answer.box = prepared.box
        answer.polarity = prepared.polarity
        return answer
    }

    /// How sure the model is of a 28x28 digit: its top probability. It chooses between a
    /// picture's two readings, where it has two.
    public func confidence(_ digit: [UInt8]) -> Double {
        model.read(digit).probabilities.max() ?? 0
    }

    /// Reads a 28x28 digit as it is (bytes, ink 255 on 0, as MNIST's).
    public func classify(digit: [UInt8]) -> Answer {
        let reading = model.read(digit)
        return Answer(prediction: reading.prediction, name: classNames[reading.prediction], probabilities: reading.probabilities,
                      scores: reading.scores, scoreName: reading.scoreName, input: digit, box: nil, polarity: nil,
                      network: reading)
    }
}
