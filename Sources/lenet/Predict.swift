import NeuralNetwork
import ArgumentParser
import Datasets
import Foundation
import Imaging
import LeNet
import Reports
import Support

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the digit in each image file: the top 3 classes with their probabilities.",
        discussion: """
            Takes PNG (every colour type, bit depth and interlacing), baseline JPEG (a phone's photo too: EXIF orientation is honoured) and PGM/PPM/PBM files of any size. Each picture is made into a 28x28 digit the way MNIST's were: grey levels; the ink found apart from the paper, whose level is estimated locally so that uneven light and shadow edges do not count, as the character's connected strokes (not the frame's edges, a table past the paper's edge or specks of noise); cropped to the ink, scaled to fit 20x20 keeping its aspect, and centred by its centre of mass. Light ink on a dark background is read too when the background is plain. A file that cannot be read gets an error on standard error; the other files still get their answers (the exit status is then 1).

            Examples:
              lenet predict digit.png                         the shipped model's answer
              lenet predict *.png --json                      one JSON object per file, in an array
              lenet predict photo.jpg --show-input seen.png   also save the 28x28 the network saw
            """)

    @Argument(help: ArgumentHelp("Image files (PNG, JPEG, PGM, PPM, PBM).", valueName: "image"))
    var images: [String]

    @Option(help: ArgumentHelp("The model: a file, or `latest` for the newest run (default: the shipped \(ShippedModel.relativePath)).", valueName: "file"))
    var checkpoint: String?

    @Flag(help: "Print JSON: an array with, per file, the class, the top 3, all probabilities and the raw scores (or the error).")
    var json = false

    @Option(name: .customLong("show-input"), help: ArgumentHelp("Save the 28x28 image the network saw as PNG (with several images: FILE-1.png, FILE-2.png, ...).", valueName: "file.png"))
    var showInput: String?

    struct Answer: Encodable {
        var file: String
        var prediction: Int?
        var name: String?
        var top: [Guess]?
        var probabilities: [Double]?
        var scores: [Float]?
        var scoreName: String?
        var input: String?
        var error: String?
    }

    struct Guess: Encodable {
        var `class`: Int
        var name: String
        var probability: Double
    }

    func run() async throws {
        try await reportingErrors {
            let (path, _) = try ShippedModel.resolve(checkpoint)
            let (model, metadata) = try AnyLeNet.load(path)
            let names = Evaluation.classNames(metadata, classes: model.classes)
            var answers: [Answer] = []
            var prepared: [(index: Int, pixels: [UInt8])] = []
            for (index, file) in images.enumerated() {
                do {
                    let picture = try ImageFile.readGrey(file)
                    let digit: [UInt8]
                    do { digit = try DigitPreprocessing.prepare(picture) } catch { throw ImageFileError.unreadable(file: file, reason: "\(error)") }
                    prepared.append((index, digit))
                    answers.append(Answer(file: file))
                } catch {
                    answers.append(Answer(file: file, error: "\(error)"))
                }
            }
            if !prepared.isEmpty {
                let batch = LabeledImages(count: prepared.count, rows: 28, columns: 28, pixels: prepared.flatMap(\.pixels),
                                          labels: [UInt8](repeating: 0, count: prepared.count), classCount: model.classes)
                let evaluation = model.evaluate(batch, threads: 1)
                let probabilities = Analysis.probabilities(evaluation)
                for (n, item) in prepared.enumerated() {
                    let k = evaluation.classCount
                    let row = Array(probabilities[(n * k)..<((n + 1) * k)])
                    let order = (0..<k).sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                    answers[item.index].prediction = evaluation.predictions[n]
                    answers[item.index].name = names[evaluation.predictions[n]]
                    answers[item.index].top = order.prefix(3).map { Guess(class: $0, name: names[$0], probability: row[$0]) }
                    answers[item.index].probabilities = row
                    answers[item.index].scores = Array(evaluation.logits[(n * k)..<((n + 1) * k)])
                    answers[item.index].scoreName = evaluation.scores.rawValue
                    if let showInput {
                        let target = prepared.count == 1 && images.count == 1 ? showInput : Self.numbered(showInput, item.index + 1)
                        try PNG.write(Image(width: 28, height: 28, channels: 1, pixels: item.pixels), to: target)
                        answers[item.index].input = target
                    }
                }
            }
            if json {
                let encoder = JSONEncoder.pretty
                print(String(decoding: try encoder.encode(answers), as: UTF8.self))
            } else {
                for answer in answers {
                    if let error = answer.error { printError("error: \(error)"); continue }
                    guard let top = answer.top, answer.prediction != nil else { continue }
                    let rest = top.dropFirst().map { String(format: "%@ (%.2f%%)", $0.name, 100 * $0.probability) }.joined(separator: ", ")
                    var line = String(format: "%@: %@ (%.2f%%); then %@", answer.file, top[0].name, 100 * top[0].probability, rest)
                    if let input = answer.input { line += "  [input saved to \(input)]" }
                    print(line)
                }
            }
            if json { for answer in answers { if let error = answer.error { printError("error: \(error)") } } }
            if answers.contains(where: { $0.error != nil }) { throw ExitCode.failure }
        }
    }

    /// `seen.png` -> `seen-2.png`.
    static func numbered(_ path: String, _ n: Int) -> String {
        let ext = (path as NSString).pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return stem + "-\(n)" + (ext.isEmpty ? "" : "." + ext)
    }
}
