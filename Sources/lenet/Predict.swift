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

    @Option(help: ArgumentHelp("The model: \(ShippedModel.choices).", valueName: "model"))
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
        var box: Box?
        var reading: String?
        var error: String?
    }

    struct Box: Encodable {
        var x: Int, y: Int, width: Int, height: Int
    }

    struct Guess: Encodable {
        var `class`: Int
        var name: String
        var probability: Double
    }

    func run() async throws {
        try await reportingErrors {
            let (path, _) = try ShippedModel.resolve(checkpoint)
            let reader = try Reader(checkpoint: path)
            var answers: [Answer] = []
            for (index, file) in images.enumerated() {
                do {
                    let picture = try ImageFile.readGrey(file)
                    let answer: Reader.Answer
                    do { answer = try reader.classify(picture) } catch { throw ImageFileError.unreadable(file: file, reason: "\(error)") }
                    let row = answer.probabilities
                    let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                    var entry = Answer(file: file)
                    entry.prediction = answer.prediction
                    entry.name = answer.name
                    entry.top = order.prefix(3).map { Guess(class: $0, name: reader.classNames[$0], probability: row[$0]) }
                    entry.probabilities = row
                    entry.scores = answer.scores
                    entry.scoreName = answer.scoreName
                    if let box = answer.box { entry.box = Box(x: box.left, y: box.top, width: box.width, height: box.height) }
                    if let polarity = answer.polarity {
                        entry.reading = (polarity.isPhoto ? "photo" : "plain") + (polarity.inkIsDark ? ", dark ink" : ", light ink")
                    }
                    if let showInput {
                        let target = images.count == 1 ? showInput : Self.numbered(showInput, index + 1)
                        try PNG.write(Image(width: 28, height: 28, channels: 1, pixels: answer.input), to: target)
                        entry.input = target
                    }
                    answers.append(entry)
                } catch {
                    answers.append(Answer(file: file, error: "\(error)"))
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
