import ArgumentParser
import Datasets
import Foundation
import Kernels
import LeNet
import NeuralNetwork
import Support

@main
struct Lenet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lenet",
        abstract: "Train and run LeNet-5 on MNIST, in pure Swift.",
        discussion: """
            The write-up's LeNet-5 ("Text classification using LeNet-5 and the MNIST dataset"): two 5x5 convolutions with ReLU and 2x2 sum pooling, then 256 -> 120 -> 84 -> 10, trained by cross-entropy and SGD with momentum over the write-up's 20-epoch schedule.

            Start with:
              lenet predict samples/drawing.png   a drawn digit, read by a shipped model
              lenet read samples/number.png       every digit of a number, left to right
              lenet serve                         a page to draw digits on (lenet-server)
              lenet train                         the write-up's recipe on ./data's MNIST
              lenet evaluate --checkpoint latest  the newest run's model, with its reports
              lenet export --output lenet5.onnx   the model as ONNX, for ONNX Runtime

            Also: --dataset fashion-mnist | emnist-<split> | folder:PATH, and lenet train --model lenet5-1998 (the paper's own).
            """,
        subcommands: [Train.self, Evaluate.self, Predict.self, Read.self, Serve.self, Info.self, Download.self, Bench.self, Export.self],
        defaultSubcommand: nil
    )

    /// Refuses an argument that is not UTF-8 (a file name in another encoding, say) before parsing:
    /// Swift would read it with its bytes replaced, and the file it names would seem not to exist.
    static func main() async {
        if let message = CommandLineText.argumentNotUTF8() {
            printError("error: \(message)")
            Foundation.exit(64)
        }
        await main(nil)
    }
}

/// Where a data set is and which one: what every command that reads one takes.
struct DataSourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The data root, as torchvision's `root`: MNIST is read from <root>/MNIST/raw/.",
        discussion: "The four files {train,t10k}-{images-idx3,labels-idx1}-ubyte may be gzipped (.gz) or not.",
        valueName: "folder"))
    var data: String = "./data"

    @Option(help: ArgumentHelp(
        "The data set: mnist, mnist-segments (MNIST with an 11th class, junk: pieces and pairs of digits cut from numbers, for `lenet read`), fashion-mnist, emnist-<split> (byclass, bymerge, balanced, letters, digits, mnist) or folder:PATH (one subfolder of images per class).",
        discussion: "Fashion-MNIST is read from <root>/FashionMNIST/raw/ or Debian's /usr/share/datasets/fashion-mnist/ (apt-get install dataset-fashion-mnist), and downloaded when missing. EMNIST is read from <root>/EMNIST/raw/emnist-<split>-*. A folder's images (PNG, JPEG, PGM/PPM/PBM, any size) are prepared like `lenet predict`'s. Default: mnist, or for evaluate the checkpoint's.",
        valueName: "name"))
    var dataset: String?

    @Option(name: .customLong("mirror"), help: ArgumentHelp(
        "A mirror to download MNIST from, tried in the order given (repeatable).",
        discussion: "Replaces the built-in list (\(MNIST.defaultMirrors.joined(separator: ", "))). The environment variable LENET_MNIST_MIRRORS (comma-separated) does the same.",
        valueName: "url"))
    var mirrors: [String] = []

    var mirrorList: [String] {
        if !mirrors.isEmpty { return mirrors }
        if let environment = ProcessInfo.processInfo.environment["LENET_MNIST_MIRRORS"], !environment.isEmpty {
            return environment.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        return MNIST.defaultMirrors
    }

    func validate() throws {
        if let dataset { _ = try DataSetChoice(dataset) }
    }

    /// The data set chosen (`fallback` when --dataset is not given: mnist, or a checkpoint's).
    func choice(fallback: String? = nil) throws -> DataSetChoice {
        try DataSetChoice(dataset ?? fallback ?? "mnist")
    }

}

/// A data source, and for a folder data set how its test images are chosen: what the commands that
/// train, evaluate or measure take.
struct DataOptions: ParsableArguments {
    @OptionGroup var source: DataSourceOptions

    @Option(name: .customLong("test-split"), help: ArgumentHelp("folder data sets: the share of each class kept for testing (a seeded, reproducible split).", valueName: "fraction"))
    var testSplit: Double = 0.2

    @Option(name: .customLong("test-folder"), help: ArgumentHelp("folder data sets: a separate folder of test images (then nothing is split off).", valueName: "path"))
    var testFolder: String?

    var data: String { source.data }
    var dataset: String? { source.dataset }
    var mirrors: [String] { source.mirrors }
    var mirrorList: [String] { source.mirrorList }
    func choice(fallback: String? = nil) throws -> DataSetChoice { try source.choice(fallback: fallback) }

    /// The same options reading another data set.
    func with(dataset: String) -> DataOptions {
        var copy = self
        copy.source.dataset = dataset
        return copy
    }

    /// The same options reading another data root.
    func with(root: String) -> DataOptions {
        var copy = self
        copy.source.data = root
        return copy
    }

    func validate() throws {
        guard testSplit > 0, testSplit < 1 else { throw ValidationError("--test-split must be between 0 and 1 (exclusive), got \(testSplit)") }
    }

    /// Downloads missing files (if any), then loads the split (pictures in a folder prepared as
    /// `lenet predict` prepares them, with `confidence` choosing where one reads two ways).
    func load(_ split: MNIST.Split, fallback: String? = nil, confidence: ((_ digit: [UInt8]) -> Double)? = nil) async throws -> LabeledImages {
        switch try choice(fallback: fallback) {
        case .segments:
            // Made from the split's own digits, the same for a seed of the split's.
            let digits = try await with(dataset: "mnist").load(split)
            return split == .train ? NumberSegments.withJunk(digits, numbers: 24_000, junk: 60_000, seed: 1)
                : NumberSegments.withJunk(digits, numbers: 1_000, junk: 4_000, seed: 2)
        case .idx(let set):
            let missing = set.missingFiles(root: data)
            if !missing.isEmpty {
                let mirrors = set.name == "mnist" ? mirrorList : (mirrors.isEmpty ? set.mirrors : mirrors)
                if !set.mirrors.isEmpty {
                    printError("\(set.name) is not complete under \(set.folder(root: data)) (missing: \(missing.map(\.name).joined(separator: ", "))); downloading.")
                }
                try await set.downloadMissing(root: data, downloader: Downloader(mirrors: mirrors), log: { printError($0) })
            }
            let loaded = try set.load(split, root: data)
            guard loaded.count > 0 else {
                throw CommandError("\(set.folder(root: data)): the \(split == .train ? "training" : "test") files of \(set.name) hold no images")
            }
            return loaded
        case .folder(let path):
            if let testFolder {
                return try ImageFolder.load(split == .train ? path : testFolder, log: { printError($0) }, confidence: confidence)
            }
            let parts = ImageFolder.split(try ImageFolder.load(path, log: { printError($0) }, confidence: confidence), testShare: testSplit)
            let part = split == .train ? parts.train : parts.test
            guard part.count > 0 else {
                let name = split == .train ? "training" : "test"
                throw CommandError("\(path): the \(name) split is empty: each class keeps its count x \(testSplit) (rounded) for testing, and its \(parts.train.count + parts.test.count) images leave none for \(name); add images, change --test-split, or give --test-folder")
            }
            return part
        }
    }
}

/// What `--dataset` names.
enum DataSetChoice {
    case idx(IDXDataSet)
    case folder(String)
    /// MNIST with a class for what is not one digit (`NumberSegments`).
    case segments

    init(_ text: String) throws {
        if text.hasPrefix("folder:") {
            let path = String(text.dropFirst("folder:".count))
            guard !path.isEmpty else { throw ValidationError("--dataset folder:PATH needs a path") }
            self = .folder(path)
        } else if text == "mnist" {
            self = .idx(.mnist)
        } else if text == NumberSegments.name {
            self = .segments
        } else if text == "fashion-mnist" {
            self = .idx(.fashionMNIST)
        } else if text.hasPrefix("emnist-"), let set = IDXDataSet.emnist(String(text.dropFirst("emnist-".count))) {
            self = .idx(set)
        } else {
            throw ValidationError("--dataset: unknown data set '\(text)'; expected mnist, \(NumberSegments.name), fashion-mnist, emnist-<split> (\(IDXDataSet.emnistSplits.keys.sorted().joined(separator: ", "))) or folder:PATH")
        }
    }
}

/// A failure of a command, said in one sentence.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The thread count option shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Threads to compute with: by default, one per processor. Results do not depend on it.", valueName: "n"))
    var threads: Int = WorkerPool.availableProcessors

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Turns library errors into a clean message and a non-zero exit, instead of a stack trace.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}
