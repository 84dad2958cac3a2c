import Datasets
import Testing
@testable import LeNet

@Suite struct BenchmarkTests {
    /// A small data set of twelve classes: fewer images than the bench's loops run (2,000 single
    /// images, 1,600 profiled), and labels past the write-up's ten outputs.
    static func twelveClasses(count: Int) -> LabeledImages {
        var pixels = [UInt8](repeating: 0, count: count * 784)
        for n in 0..<count {
            for i in 0..<784 where (i / 28 + n) % 5 == 0 { pixels[n * 784 + i] = UInt8(40 + (i * 7 + n) % 200) }
        }
        return LabeledImages(count: count, rows: 28, columns: 28, pixels: pixels, labels: (0..<count).map { UInt8($0 % 12) }, classCount: 12)
    }

    @Test func theBenchRunsOnASmallDataSetWithMoreThanTenClasses() {
        let train = Self.twelveClasses(count: 96), test = Self.twelveClasses(count: 40)
        let result = Benchmark.run(train: train, test: test, threads: 2, trainImages: 64)
        for batch in ["1000", "64", "1"] {
            let rate = result.inferenceImagesPerSecond[batch] ?? 0
            #expect(rate.isFinite && rate > 0, "inference at batch \(batch): \(rate)")
        }
        #expect(result.trainImagesPerSecond.isFinite && result.trainImagesPerSecond > 0)
        // F7 has twelve outputs here: its FLOP, and so its share of a core, count them.
        #expect(Benchmark.layerFLOP(.forward(6), in: LeNet5.network(classes: 12)) == Double(2 * 84 * 12))
        #expect(result.layers.contains { $0.layer == "F7 forward" && $0.microsecondsPerImage > 0 })
        #expect(result.paperPatternMicroseconds > 0)
    }

    @Test func inferenceAloneRunsOnFewerImagesThanItsCalls() {
        let test = Self.twelveClasses(count: 40)
        let result = Benchmark.inference(LeNet5(seed: 0, classes: 12), test: test, threads: 1)
        #expect(Set(result.imagesPerSecond.keys) == ["1000", "64", "1"])
        #expect(result.imagesPerSecond.values.allSatisfy { $0.isFinite && $0 > 0 })
        let p = result.singleImagePercentiles
        #expect((p["10"] ?? 0) > 0 && (p["10"] ?? 0) <= (p["50"] ?? 0) && (p["50"] ?? 0) <= (p["99"] ?? 0))
        #expect(result.singleImageMicroseconds == p["50"])
    }
}
