import ArgumentParser
import Foundation
import Imaging
import LeNet
import Support

struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the number in each image file: every digit, left to right.",
        discussion: """
            Reads a number as the 1998 paper's zip-code and cheque readers did: the line's ink is found as `predict` finds a digit's (drawn, scanned or photographed, dark or light ink), cut into more candidate digits than there are (between strokes, and at the minima of the ink's profile along the path of least ink), each candidate scored by a network that can say "not one digit", and the reading is the best path through the candidates. A picture with no ink reads as no digits. A reading less sure than \(Reader.numberRejection) is marked rejected: a person should look.

            Examples:
              lenet read samples/number.png        samples/number.png: 88124 (67.5%); ...
              lenet read *.png --json              a JSON array, one object a file
            """)

    @Argument(help: ArgumentHelp("Image files (PNG, JPEG, PGM, PPM, PBM).", valueName: "image"))
    var images: [String]

    @Option(help: ArgumentHelp("The model: \(ShippedModel.numberChoices).", valueName: "model"))
    var checkpoint: String?

    @Flag(help: "Print JSON: an array with, per file, the text, its confidence, whether it is rejected, and each digit's class, probabilities and box (or the error); the server's vocabulary.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let (path, _) = try ShippedModel.resolve(checkpoint, standard: .numbers)
            let reader = try Reader(checkpoint: path)
            try answerEachFile(images, printJSON: json) { _, file, fileJSON, json in
                let reading = reader.read(try ImageFile.readGrey(file))
                if self.json {
                    NumberJSON.write(reading, extra: [("file", fileJSON)], into: &json)
                } else {
                    let digits = reading.digits.map { String(format: "%@ %.1f%%", $0.name, 100 * $0.probability) }.joined(separator: ", ")
                    let text = reading.text.isEmpty ? "(no digits)" : reading.text
                    var line = String(format: "%@: %@ (%.1f%%)", file, text, 100 * reading.confidence)
                    if !digits.isEmpty { line += "; digits \(digits)" }
                    if reading.rejected && !reading.digits.isEmpty { line += "  [rejected: not sure enough]" }
                    print(line)
                }
            }
        }
    }
}
