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
        usage: "lenet predict <image> ... [--json] [--checkpoint <model>] [<options>]",
        discussion: """
            Takes PNG (every colour type, bit depth and interlacing), baseline JPEG (a phone's photo too: EXIF orientation is honoured) and PGM/PPM/PBM files of any size. Each picture is made into a 28x28 digit the way MNIST's were: grey levels; the ink found apart from the paper, whose level is estimated locally so that uneven light and shadow edges do not count, as the character's connected strokes (not the frame's edges, a table past the paper's edge or specks of noise); cropped to the ink, scaled to fit 20x20 keeping its aspect, and centred by its centre of mass. Dark ink on light paper and light ink on dark are both read, the polarity judged from the whole picture; a digit cropped to its ink, with no margin, reads as one with a margin. A file that cannot be read gets an error on standard error; the other files still get their answers (the exit status is then 1).

            Examples:
              lenet predict digit.png             the modern model's answer
              lenet predict *.png --json          a JSON array, one object a file
              lenet predict digit.png --checkpoint writeup
                                                  the write-up's model instead
              lenet predict photo.jpg --show-input seen.png
                                                  also save the 28x28 it saw
            """)

    @Argument(help: ArgumentHelp("Image files (PNG, JPEG, PGM, PPM, PBM).", valueName: "image"))
    var images: [String]

    @Option(help: ArgumentHelp("The model: \(ShippedModel.choices).", valueName: "model"))
    var checkpoint: String?

    @Flag(help: "Print JSON: an array with, per file, the class and its name, the probabilities, the top 3, the raw scores, where the digit is and how it was read (or the error); the server's vocabulary.")
    var json = false

    @Option(name: .customLong("show-input"), help: ArgumentHelp("Save the 28x28 image the network saw as PNG (with several images: FILE-1.png, FILE-2.png, ...).", valueName: "file.png"))
    var showInput: String?

    func run() async throws {
        try await reportingErrors {
            let (path, _) = try ShippedModel.resolve(checkpoint)
            let reader = try Reader(checkpoint: path)
            try answerEachFile(images, printJSON: json) { index, file, fileJSON, json in
                let picture = try ImageFile.readGrey(file)
                let answer: Reader.Answer
                do { answer = try reader.classify(picture) } catch { throw ImageFileError.unreadable(file: file, reason: "\(error)") }
                var extra = [("file", fileJSON)]
                var saved: String?
                if let showInput {
                    let target = images.count == 1 ? showInput : Self.numbered(showInput, index + 1)
                    try PNG.write(Image(width: 28, height: 28, channels: 1, pixels: answer.input), to: target)
                    var value = JSONBytes()
                    value.string(target)
                    extra.append(("inputFile", String(decoding: value.bytes, as: UTF8.self)))
                    saved = target
                }
                if self.json {
                    AnswerJSON.write(answer, names: reader.classNames, parts: [], extra: extra, into: &json)
                } else {
                    let row = answer.probabilities
                    let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                    let rest = order.dropFirst().prefix(2).map { String(format: "%@ (%.2f%%)", reader.classNames[$0], 100 * row[$0]) }.joined(separator: ", ")
                    var line = String(format: "%@: %@ (%.2f%%); then %@", file, answer.name, 100 * answer.probability, rest)
                    if let saved { line += "  [input saved to \(saved)]" }
                    print(line)
                }
            }
        }
    }

    /// `seen.png` -> `seen-2.png`.
    static func numbered(_ path: String, _ n: Int) -> String {
        let ext = (path as NSString).pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return stem + "-\(n)" + (ext.isEmpty ? "" : "." + ext)
    }
}
