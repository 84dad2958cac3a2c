import Datasets
import Foundation
import Imaging
import LeNet
import NeuralNetwork
import Reports
import Support

enum RunFolder {
    /// `./runs/<date>T<time>`, unique.
    static func newPath(suffix label: String = "") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        let stem = "runs/" + formatter.string(from: Date()) + label
        var path = stem
        var suffix = 2
        while FileManager.default.fileExists(atPath: path) {
            path = stem + "-\(suffix)"
            suffix += 1
        }
        return path
    }

    /// Creates the folder and checks it can be written, before any long work starts.
    static func prepare(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw FileError(path: folder, reason: "expected an output folder, found a file")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            // Name the part of the path that is in the way.
            var ancestor = (folder as NSString).deletingLastPathComponent
            while !ancestor.isEmpty, !FileManager.default.fileExists(atPath: ancestor) {
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
            let place = ancestor.isEmpty ? "." : ancestor
            throw FileError(path: folder, reason: "cannot create the output folder: \(place) does not allow creating folders in it")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FileError(path: folder, reason: "the output folder is not writable")
        }
    }

    /// Refuses to start a long run on a disk that cannot hold its files.
    static func checkFreeSpace(_ folder: String, needed: Int) throws {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return }
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        if free < needed {
            throw FileError(path: folder, reason: "only \(free / 1024) KB free on its disk; a run needs about \(needed / (1 << 20)) MB for its checkpoints and reports")
        }
    }
}

/// Class names travel in a checkpoint's metadata as a JSON array ("class_names").
enum ClassNames {
    static func encode(_ names: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(names)) ?? Data("[]".utf8), as: UTF8.self)
    }

}

enum ReportFiles {
    /// Prints the accuracy line and (unless quiet) the first 10 mismatches and matches, saves their
    /// images, the logits when asked, and report.md, report.html and metrics.json.
    static func write(_ evaluation: Evaluation, test: LabeledImages, folder: String, logitsPath: String?,
                      about: [(String, String)], curve: TrainingCurve?, output: OutputOptions) throws {
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
        let report = Report(evaluation: evaluation, images: test, about: about.filter { $0.0 != "class_names" }, curve: curve,
                            classNames: test.classNames.count == evaluation.classCount ? test.classNames : nil)
        let written = try report.write(into: folder)
        if !output.quiet { print(report.analysis.confidence.summary) }
        print("Report: \(written[1]) (also \((written[0] as NSString).lastPathComponent) and \((written[2] as NSString).lastPathComponent))")
    }

    /// The training curve saved beside a checkpoint, if any: history.json (write-up) or curve.json (1998).
    static func curve(besides checkpoint: String) -> TrainingCurve? {
        let folder = (checkpoint as NSString).deletingLastPathComponent
        let decoder = JSONDecoder()
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
    static func about(kind: String, checkpoint: String, metadata: [String: String]) -> [(String, String)] {
        [("model", kind), ("checkpoint", checkpoint)] + metadata.filter { $0.key != "model" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
