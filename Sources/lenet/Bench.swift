import ArgumentParser
import Datasets
import Foundation
import LeNet
import NeuralNetwork
import Imaging
import Support

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference speed, latency, memory and the time per layer.",
        usage: "lenet bench [--inference-only | --pictures <file> ...] [<options>]",
        discussion: """
            Trains the write-up's LeNet-5 (one output per class of the data set) for one pass over the training images (batch 64, the real data path), then runs inference on the test images (MNIST's 10,000) at batch 1000, 64 and 1 (each batch shared out over the threads in chunks of at most 32 images), and times every layer's forward and backward pass on one thread. Prints images per second, GFLOP/s against an estimate of the machine's peak (from the vector width and FMA units the CPU reports; the FLOP are the direct convolutions', so a layer computed by Winograd's fewer multiplications can show more than 100% of a core), single-image latency (median and spread) and the peak memory; then how training scales with threads (1 and all) and batch size (16 to 1024), the share of a one-thread training step spent outside the layers, and the 1998 model's cost per pattern and layer.

            --inference-only measures inference alone (batch 1000, 64 and 1, and one image's latency) with the shipped model, in a few seconds: for measuring in turns with another program, as scripts/bench.sh does with PyTorch.

            scripts/bench.sh runs this beside the PyTorch anchor and prints the ratios.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(name: .customLong("train-images"), help: "Training images to time (default: one epoch).")
    var trainImages: Int = 60_000

    @Flag(help: ArgumentHelp("Measure inference only, with the shipped model (a model of the data set's classes drawn from seed 0 when the shipped one does not fit).",
                             discussion: "Reads the test images only; --train-images is not used."))
    var inferenceOnly = false

    @Option(name: .customLong("pictures"), parsing: .upToNextOption, help: ArgumentHelp(
        "Time reading these pictures instead, stage by stage, on one thread (with the shipped model).",
        discussion: "For each file: decoding to grey, finding the ink, cropping and scaling to 28x28, the network, and the whole path from the file's bytes to the answer (medians of at least 50 runs).",
        valueName: "file"))
    var pictures: [String] = []

    @Option(name: .customLong("numbers"), parsing: .upToNextOption, help: ArgumentHelp(
        "Time reading the number in these pictures instead, stage by stage, on one thread (with the shipped numbers model).",
        discussion: "For each file: decoding to grey, finding the line's ink, cutting and framing the segments, the network over them, and the whole path from the file's bytes to the reading (medians of at least 50 runs).",
        valueName: "file"))
    var numbers: [String] = []

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            guard trainImages >= 64 else { throw CommandError("--train-images must be at least 64, got \(trainImages)") }
            if inferenceOnly { return try await runInference() }
            if !pictures.isEmpty { return try runPictures() }
            if !numbers.isEmpty { return try runNumbers() }
            let train = try await dataOptions.load(.train)
            let test = try await dataOptions.load(.test)
            try Self.requireImages(train, "training")
            try Self.requireImages(test, "test")
            let result = Benchmark.run(train: train, test: test, threads: threadOptions.threads, trainImages: trainImages,
                                       log: { if !json { printError($0) } })
            if json { return try printJSON(result) }
            print("\(result.processor), \(result.threads) threads, \(result.build)")
            print(String(format: "training:   %8.0f images/s  (%d images in %.2f s; %.1f GFLOP/s counting the direct convolutions' FLOP, %.1f%% of an estimated peak of %.0f GFLOP/s)",
                         result.trainImagesPerSecond, result.trainImages, result.trainSeconds, result.trainGFLOPPerSecond,
                         result.trainPercentOfPeak, result.machinePeakGFLOPPerSecond))
            print("            the peak: \(result.peakFormula)")
            printInference(result.inferenceImagesPerSecond, percentiles: result.singleImagePercentiles)
            print(String(format: "peak memory: %6.1f MB", result.peakMemoryMB))
            print("scaling (training: the recipe's first rate, SGD with momentum; inference: the \(test.count) test images):")
            for threads in result.trainImagesPerSecondByThreads.keys.sorted(by: { Int($0)! < Int($1)! }) {
                print(String(format: "  %@ thread(s), batch 64:    training %8.0f images/s", threads, result.trainImagesPerSecondByThreads[threads] ?? 0))
            }
            for batch in result.trainImagesPerSecondByBatch.keys.sorted(by: { Int($0)! < Int($1)! }) {
                print(String(format: "  batch %4@, %d thread(s): training %8.0f images/s, inference %8.0f images/s", batch, result.threads,
                             result.trainImagesPerSecondByBatch[batch] ?? 0, result.inferenceImagesPerSecondByBatch[batch] ?? 0))
            }
            // The cost is linear in the images: an epoch of a larger set takes images / throughput.
            print(String(format: "  an epoch of EMNIST byclass (697,932 images) at this rate: %.1f s; the write-up's 20 epochs: %.0f s",
                         697_932 / result.trainImagesPerSecond, 20 * 697_932 / result.trainImagesPerSecond))
            print(String(format: "one thread: a training step %.1f us per image, its layers %.1f us: %.1f%% outside the layers",
                         result.oneThreadStepMicroseconds, result.layersMicroseconds, 100 * result.outsideLayersShare))
            print("time per image and layer (one thread, chunks of 16; the share of the layers' time; the layers with weights as a share of one core's peak):")
            // The layers computed by Winograd's algorithm: their share counts the direct convolution's FLOP.
            let winogradLayers = Set(LeNet5.network.layers.filter { ($0 as? Convolution)?.shape.hasWinograd ?? false }.map(\.name))
            for layer in result.layers {
                let name = layer.layer.padding(toLength: 28, withPad: " ", startingAt: 0)
                let winograd = winogradLayers.contains(String(layer.layer.prefix { $0 != " " })) ? " (direct FLOP; Winograd)" : ""
                let core = layer.percentOfOneCore.map { String(format: "  %5.1f%% of a core", $0) + winograd } ?? ""
                print("  " + name + String(format: " %7.2f us  %5.1f%%", layer.microsecondsPerImage, 100 * layer.share) + core)
            }
            if let forward = result.fullyConnectedPercentOfOneCore["forward"], let backward = result.fullyConnectedPercentOfOneCore["backward"] {
                print(String(format: "  the fully connected layers together: forward %.1f%%, backward %.1f%% of a core", forward, backward))
            }
            print(String(format: "the 1998 model, one pattern of stochastic diagonal Levenberg-Marquardt (one thread): %.1f us; per layer:",
                         result.paperPatternMicroseconds))
            for layer in result.paperLayers {
                let name = layer.layer.padding(toLength: 28, withPad: " ", startingAt: 0)
                print("  " + name + String(format: " %7.2f us  %5.1f%%", layer.microsecondsPerImage, 100 * layer.share))
            }
        }
    }

    /// `--numbers`: each number's stages.
    private func runNumbers() throws {
        let reader = try Reader.shipped(.numbers)
        var results: [PictureBenchmark.NumberStages] = []
        for file in numbers {
            let bytes = try Files.read(file, maximumBytes: ImageFile.maximumFileBytes)
            results.append(try PictureBenchmark.measureNumber(bytes, file: file, reader: reader))
        }
        if json { return try printJSON(results) }
        print("\(Benchmark.processorName()), one thread, \(Benchmark.build); microseconds, the median of each stage (and the fastest whole run):")
        print("  picture               size       decode  line  segments (n)  network     whole   (best)  read")
        for r in results {
            let name = ((r.file as NSString).lastPathComponent).padding(toLength: 20, withPad: " ", startingAt: 0)
            print("  " + name + String(format: " %5dx%-5d %6.0f %5.0f %9.0f (%2d) %8.0f %9.0f  (%5.0f)  ", r.width, r.height, r.decode, r.lineFinding,
                                       r.segmentation, r.segments, r.network, r.whole, r.wholeBest) + r.text)
        }
    }

    /// `--pictures`: each picture's stages.
    private func runPictures() throws {
        let reader = try Reader.shipped()
        var results: [PictureBenchmark.Stages] = []
        for file in pictures {
            let bytes = try Files.read(file, maximumBytes: ImageFile.maximumFileBytes)
            results.append(try PictureBenchmark.measure(bytes, file: file, reader: reader))
        }
        if json { return try printJSON(results) }
        print("\(Benchmark.processorName()), one thread, \(Benchmark.build); microseconds, the median of each stage (and the fastest whole run):")
        print("  picture                          size       decode  ink finding  crop+scale  network     whole   (best)")
        for r in results {
            let name = ((r.file as NSString).lastPathComponent).padding(toLength: 30, withPad: " ", startingAt: 0)
            print("  " + name + String(format: " %5dx%-5d %8.0f %12.0f %11.1f %8.1f %9.0f  (%5.0f)", r.width, r.height, r.decode, r.inkFinding,
                                       r.cropAndScale, r.network, r.whole, r.wholeBest))
        }
    }

    /// `--inference-only`: the test images, the shipped model (or a drawn one), `Benchmark.inference`.
    private func runInference() async throws {
        let test = try await dataOptions.load(.test)
        try Self.requireImages(test, "test")
        let classes = max(2, test.classCount)
        var model = LeNet5(seed: 0, classes: classes), about = "a model of \(classes) classes drawn from seed 0"
        if classes == 10, let path = ShippedModel.standard.path {
            model = try LeNet5(checkpoint: path)
            about = path
        }
        if !json { printError("inference on \(test.count) test images, \(threadOptions.threads) thread(s), with \(about)...") }
        let result = Benchmark.inference(model, test: test, threads: threadOptions.threads, log: { if !json { printError($0) } })
        if json { return try printJSON(result) }
        print("\(Benchmark.processorName()), \(threadOptions.threads) threads, \(Benchmark.build)")
        printInference(result.imagesPerSecond, percentiles: result.singleImagePercentiles)
    }

    /// The bench times every part on real images: an empty split is an error that says so.
    private static func requireImages(_ images: LabeledImages, _ split: String) throws {
        guard images.count == 0 else { return }
        throw CommandError("lenet bench needs \(split) images, and the data set's \(split) split has none; "
                           + "give a --test-split that leaves images on both sides, or a --test-folder")
    }

    private func printJSON<Value: Encodable>(_ value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    private func printInference(_ imagesPerSecond: [String: Double], percentiles p: [String: Double]) {
        for batch in ["1000", "64", "1"] {
            print(String(format: "inference:  %8.0f images/s at batch %@", imagesPerSecond[batch] ?? 0, batch))
        }
        print(String(format: "one image:  %8.1f us median (10%%: %.1f, 90%%: %.1f, 99%%: %.1f)", p["50"] ?? 0, p["10"] ?? 0, p["90"] ?? 0, p["99"] ?? 0))
    }
}
