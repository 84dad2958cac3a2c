import Datasets
import FileFormats
import Foundation
import Imaging
import LeNet
import NeuralNetwork
import Reports
import Support

/// How much a command prints: `quiet` only the accuracy line, the files written and errors;
/// `verbose` also every epoch or pass and every file.
public struct Verbosity: Sendable {
    /// Print only the accuracy line, the files written and errors.
    public var quiet: Bool
    /// Print every epoch or pass, and every file written.
    public var verbose: Bool
    /// The default prints the write-up's log lines and the summary.
    public init(quiet: Bool = false, verbose: Bool = false) {
        self.quiet = quiet
        self.verbose = verbose
    }
}

/// The files and lines a finished run or an evaluation leaves, in the same order for every model.
public enum ReportFiles {
    /// Prints the accuracy line and (unless quiet) the first 10 mismatches and matches, saves their
    /// images, the logits when asked, and report.md, report.html and metrics.json.
    public static func write(_ subject: Report.Subject, _ evaluation: Evaluation, test: LabeledImages, folder: String, logitsPath: String?,
                      about: [(String, String)], curve: TrainingCurve?, output: Verbosity) throws {
        print(evaluation.accuracyLine)
        let incorrect = evaluation.firstIncorrect(10), correct = evaluation.firstCorrect(10)
        if !output.quiet {
            for example in incorrect { print(example.line) }
            for example in correct { print(example.line) }
        }
        let paths = try Evaluator.saveImages(incorrect + correct, from: test, into: folder)
        if output.verbose { for path in paths { print("Saved \(path)") } } else if !output.quiet { print("Saved \(paths.count) images to \(folder)/") }
        if let logitsPath {
            try NumPyArray.write(evaluation.logitsTensor, to: logitsPath)
            print("Saved the logits [\(evaluation.count), \(evaluation.classCount)] to \(logitsPath)")
        }
        let metadata = Dictionary(about, uniquingKeysWith: { first, _ in first })
        let comparison = RecipeComparison.entry(in: family, model: metadata["model"] ?? "", metadata: metadata).map {
            RecipeComparison(entries: family, highlighted: $0, runError: 1 - evaluation.accuracy)
        }
        let report = Report(subject, evaluation: evaluation, images: test, about: about.filter { $0.0 != MetadataKey.classNames }, curve: curve,
                            classNames: test.classNames.count == evaluation.classCount ? test.classNames : nil, comparison: comparison)
        let written = try report.write(into: folder)
        if !output.quiet { print(report.analysis.confidence.summary) }
        print("Report: \(written[1]) (also \((written[0] as NSString).lastPathComponent) and \((written[2] as NSString).lastPathComponent))")
    }

    /// The family's table: every kind's measured rows, in `ModelKinds.all`'s order.
    public static var family: [RecipeComparison.Entry] {
        ModelKinds.all.flatMap { kind in
            kind.measured.map {
                RecipeComparison.Entry(name: $0.name, testError: $0.testError, detail: $0.detail, time: $0.time, parameters: $0.parameters,
                                       command: $0.command, model: kind.kind, recipe: $0.recipe, distortions: $0.distortions)
            }
        }
    }

    /// The training curve saved beside a checkpoint, if any: history.json (write-up) or curve.json (1998).
    public static func curve(besides checkpoint: String) -> TrainingCurve? {
        let folder = (checkpoint as NSString).deletingLastPathComponent
        let decoder = JSONDecoder.pretty
        if let bytes = try? Files.read((folder as NSString).appendingPathComponent("history.json")),
           let history = try? decoder.decode(TrainingHistory.self, from: Data(bytes)) {
            return TrainingCurve(history: history)
        }
        if let bytes = try? Files.read((folder as NSString).appendingPathComponent("curve.json")),
           let passes = try? decoder.decode([PassRecord].self, from: Data(bytes)) {
            return TrainingCurve(passes: passes)
        }
        return nil
    }

    /// ("model", kind), ("checkpoint", path), then the metadata (without the kind).
    public static func about(kind: String, checkpoint: String, metadata: [String: String]) -> [(String, String)] {
        [("model", kind), ("checkpoint", checkpoint)] + metadata.filter { $0.key != MetadataKey.model }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension JSONEncoder {
    /// Indented, keys sorted: the JSON files people read. A loss that diverged is written as the
    /// string "NaN" (or "Infinity"), so that the run's files are still written.
    public static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.pretty` writes.
    public static var pretty: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}
