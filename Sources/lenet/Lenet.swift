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

            Start with:  lenet train           (the whole recipe, on the MNIST shipped in ./data)
            Then:        lenet evaluate        (the newest run's model on the 10,000 test images)
            """,
        subcommands: [Train.self, Evaluate.self, Predict.self, Serve.self, Info.self, Download.self, Bench.self],
        defaultSubcommand: nil
    )
}

/// Options shared by the commands that read MNIST.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The data root, as torchvision's `root`: MNIST is read from <root>/MNIST/raw/.",
        discussion: "The four files {train,t10k}-{images-idx3,labels-idx1}-ubyte may be gzipped (.gz) or not.",
        valueName: "folder"))
    var data: String = "./data"

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

    /// The same options reading another data root.
    func with(root: String) -> DataOptions {
        var copy = self
        copy.data = root
        return copy
    }

    /// Downloads missing files (if any), then loads the split.
    func load(_ split: MNIST.Split) async throws -> LabeledImages {
        let missing = MNIST.missingFiles(root: data)
        if !missing.isEmpty {
            printError("MNIST is not complete under \(MNIST.folder(root: data)) (missing: \(missing.map(\.name).joined(separator: ", "))); downloading.")
            try await MNIST.downloadMissing(root: data, downloader: Downloader(mirrors: mirrorList), log: { printError($0) })
        }
        return try MNIST.load(split, root: data)
    }
}

/// A failure of a command, said in one sentence.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The thread count option shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Threads to compute with (default: the machine's \(WorkerPool.availableProcessors) processors). Results do not depend on it.", valueName: "n"))
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
