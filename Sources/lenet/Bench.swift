import ArgumentParser
import Foundation
import LeNet

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference speed, latency, memory and the time per layer.",
        discussion: """
            Trains the write-up's LeNet-5 for one pass over the training images (batch 64, the real data path), then runs inference on the 10,000 test images at batch 1000, 64 and 1, and times every layer's forward and backward pass on one thread. Prints images per second, GFLOP/s against an estimate of the machine's peak, the median single-image latency and the peak memory.

            scripts/bench.sh runs this beside the PyTorch anchor and prints the ratios.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(name: .customLong("train-images"), help: "Training images to time (default: one epoch).")
    var trainImages: Int = 60_000

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            guard trainImages >= 64 else { throw CommandError("--train-images must be at least 64, got \(trainImages)") }
            let train = try await dataOptions.load(.train)
            let test = try await dataOptions.load(.test)
            if ProcessInfo.processInfo.environment["LENET_PAPER_PROFILE"] != nil {
                let paper = Benchmark.paperPattern(train: train, patterns: 6000)
                print(String(format: "1998 pattern: %.1f us", paper.microseconds))
                for layer in paper.layers { print("  \(layer.layer) " + String(format: "%.2f us", layer.microsecondsPerImage)) }
                return
            }
            let result = Benchmark.run(train: train, test: test, threads: threadOptions.threads, trainImages: trainImages,
                                       log: { if !json { printError($0) } })
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            print("\(result.processor), \(result.threads) threads, \(result.build)")
            print(String(format: "training:   %8.0f images/s  (%d images in %.2f s; %.1f GFLOP/s, %.1f%% of an estimated peak of %.0f GFLOP/s)",
                         result.trainImagesPerSecond, result.trainImages, result.trainSeconds, result.trainGFLOPPerSecond,
                         result.trainPercentOfPeak, result.machinePeakGFLOPPerSecond))
            for batch in ["1000", "64", "1"] {
                print(String(format: "inference:  %8.0f images/s at batch %@", result.inferenceImagesPerSecond[batch] ?? 0, batch))
            }
            print(String(format: "one image:  %8.1f us (median)", result.singleImageMicroseconds))
            print(String(format: "peak memory: %6.1f MB", result.peakMemoryMB))
            print("time per image and layer (one thread, chunks of 16):")
            for layer in result.layers {
                let name = layer.layer.padding(toLength: 28, withPad: " ", startingAt: 0)
                print("  " + name + String(format: " %7.2f us  %5.1f%%", layer.microsecondsPerImage, 100 * layer.share))
            }
        }
    }
}
