import Datasets
import Foundation
import Kernels
import NeuralNetwork
import Support

/// What `lenet bench` measures: training and inference throughput on LeNet-5's real shapes and
/// data, single-image latency, the time per layer, peak memory, and GFLOP/s against the machine's peak.
public struct BenchmarkResult: Codable, Sendable {
    /// One layer's share of the time.
    public struct Layer: Codable, Sendable {
        /// The layer and the pass: "C1 forward", "F6 backward".
        public var layer: String
        /// Microseconds per image.
        public var microsecondsPerImage: Double
        /// Its share of the time of all the layers.
        public var share: Double
        /// For the layers with weights: their multiply-adds x 2 per microsecond, as a share of one
        /// core's peak (the machine's peak over its threads).
        public var percentOfOneCore: Double?
    }
    /// The processor's model name, from /proc/cpuinfo.
    public var processor: String
    /// Threads used for training and batched inference.
    public var threads: Int
    /// How the kernels were compiled: portable, or for the native CPU with fused multiply-adds.
    public var build: String
    /// Images trained on for the training figure.
    public var trainImages: Int
    /// Seconds those images took.
    public var trainSeconds: Double
    /// Training images per second (the best of the samples).
    public var trainImagesPerSecond: Double
    /// Inference images per second, by batch size ("1000", "64", "1").
    public var inferenceImagesPerSecond: [String: Double]
    /// One image's latency, the median, in microseconds.
    public var singleImageMicroseconds: Double
    /// Training GFLOP/s: the forward and backward passes' multiply-adds, 2 FLOP each.
    public var trainGFLOPPerSecond: Double
    /// Inference GFLOP/s at batch 1000.
    public var inferenceGFLOPPerSecond: Double
    /// The machine's peak GFLOP/s, as `peakFormula` estimates it.
    public var machinePeakGFLOPPerSecond: Double
    /// Training GFLOP/s as a share of the peak.
    public var trainPercentOfPeak: Double
    /// The time per layer and pass, from a one-thread profile.
    public var layers: [Layer]
    /// The fully connected layers (F5, F6, F7) taken together, "forward" and "backward": their FLOP
    /// over their time, as a share of one core's peak.
    public var fullyConnectedPercentOfOneCore: [String: Double]
    /// The process's peak resident memory, in MB.
    public var peakMemoryMB: Double
    /// How the peak was estimated: "2 cores x 2.30 GHz x 2 FMA units x 16 lanes x 2 FLOP".
    public var peakFormula: String
    /// Single-image latency percentiles (10, 50, 90, 99), microseconds.
    public var singleImagePercentiles: [String: Double]
    /// One thread: a whole training step per image (batch 64) against the sum of the layers' times
    /// in the profile; the rest is the share outside the layers.
    public var oneThreadStepMicroseconds: Double
    /// The sum of the layers' times per image, one thread, in microseconds.
    public var layersMicroseconds: Double
    /// The share of a step's time spent outside the layers (input, loss, optimizer).
    public var outsideLayersShare: Double
    /// Training images/s by thread count ("1", "2", ...) and by batch size ("16" ... "1024").
    public var trainImagesPerSecondByThreads: [String: Double]
    /// Training images per second by batch size, one thread.
    public var trainImagesPerSecondByBatch: [String: Double]
    /// Inference images per second by batch size, one thread.
    public var inferenceImagesPerSecondByBatch: [String: Double]
    /// The 1998 model: one pattern of stochastic diagonal Levenberg-Marquardt on one thread, and per layer.
    public var paperPatternMicroseconds: Double
    /// The 1998 model's time per layer and pass, one pattern at a time.
    public var paperLayers: [Layer]
}

/// What `lenet bench --inference-only` measures (`Benchmark.inference`): images/s at batch 1000, 64
/// and 1, and one image's latency, median and percentiles (10, 50, 90, 99), microseconds.
public struct InferenceMeasurement: Codable, Sendable {
    /// Images per second by batch size ("1000", "64", "1").
    public var imagesPerSecond: [String: Double]
    /// One image's latency, the median, in microseconds.
    public var singleImageMicroseconds: Double
    /// One image's latency percentiles ("10", "50", "90", "99"), in microseconds.
    public var singleImagePercentiles: [String: Double]
}

/// `lenet bench`'s measurements.
public enum Benchmark {
    /// FLOP per image of a forward pass, 2 per multiply-add: 563,280 for the write-up's network
    /// (281,640 multiply-adds).
    public static func forwardFLOP(_ network: Network = LeNet5.network) -> Double {
        2 * Double(network.layers.reduce(0) { $0 + $1.multiplyAdds })
    }

    /// FLOP per image of a training step: the forward pass, then for each layer with weights its
    /// weights' gradient and its input's (the first layer's weights' only): 1,517,040 for the
    /// write-up's network.
    public static func trainingFLOP(_ network: Network = LeNet5.network) -> Double {
        network.layers.indices.reduce(0) { total, index in
            total + layerFLOP(index, backward: false, in: network) + layerFLOP(index, backward: true, in: network)
        }
    }

    /// How the kernels were compiled.
    public static var build: String {
        #if FUSED_MULTIPLY_ADD
        return "native CPU target with fused multiply-add"
        #else
        return "portable (no CPU-specific flags)"
        #endif
    }

    /// Images/s of the write-up's recipe (first phase, SGD with momentum) at `batchSize`.
    static func trainingSpeed(_ train: LabeledImages, images: Int, threads: Int, batchSize: Int = 64) -> (LeNet5, TrainingSummary) {
        var model = LeNet5(seed: 0, classes: max(2, train.classCount))
        let recipe = Recipe(schedule: [Phase(epochs: 1, learningRate: 0.0005)], batchSize: batchSize, seed: 0, logInterval: Int.max)
        let summary = Trainer(recipe: recipe, threads: threads).train(&model, on: train.prefix(images))
        return (model, summary)
    }

    /// The most images a thread runs through the network at once when a batch is larger: a chunk's
    /// activations then stay in the core's cache (C1's output alone is 13.5 KB an image). At batch
    /// 1000 on two threads, chunks of 32 instead of 500 ran 15% faster (283k and 291k images/s
    /// against 243k and 256k, alternated in one window); chunks of 16 and 64 ran about as fast as 32.
    static let inferenceChunk = 32

    /// Inference images/s over `test` at `batch` (each batch split over the threads, in chunks of at
    /// most `inferenceChunk` images); best of `rounds`.
    static func inferenceSpeed(_ model: LeNet5, _ test: LabeledImages, batch: Int, threads: Int, rounds: Int = 3) -> Double {
        let perThread = (batch + threads - 1) / threads
        let runner = ChunkRunner(network: model.network, preparation: .writeup, chunkSize: min(perThread, inferenceChunk), workspaces: .perThread,
                                 threads: threads, training: false)
        let indices = Array(0..<test.count), version = ParameterVersion.next()
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = MonotonicClock.now()
            withAlignedCopy(of: model.parameters) { p in
                indices.withUnsafeBufferPointer { indices in
                    for first in stride(from: 0, to: test.count, by: batch) {
                        let batchIndices = UnsafeBufferPointer(rebasing: indices[first..<min(test.count, first + batch)])
                        runner.run(test, indices: batchIndices) { _, _, workspace, size in
                            workspace.forward(parameters: p.baseAddress!, batch: size, version: version)
                        }
                    }
                }
            }
            best = min(best, MonotonicClock.now() - start)
        }
        return Double(test.count) / best
    }

    /// Inference over `test`: images/s at batch 1000 and 64 (each batch shared out over the threads;
    /// the best of three passes), and one image at a time (normalize + forward, 2,000 calls: the rate
    /// from their mean, the latency's median and spread). `test` holds at least one image.
    public static func inference(_ model: LeNet5, test: LabeledImages, threads: Int, log: (String) -> Void = { _ in }) -> InferenceMeasurement {
        precondition(test.count > 0, "the bench needs test images")
        var imagesPerSecond: [String: Double] = [:]
        for batch in [1000, 64] {
            log("inference at batch \(batch)...")
            imagesPerSecond["\(batch)"] = inferenceSpeed(model, test, batch: batch, threads: threads)
        }
        log("single images...")
        let single = NetworkWorkspace(model.network, capacity: 1, training: false), singleVersion = ParameterVersion.next()
        var latencies: [Double] = []
        latencies.reserveCapacity(2000)
        // 2,000 calls over the test images (round again from the first in a smaller set).
        let order = (0..<2000).map { $0 % test.count }
        withAlignedCopy(of: model.parameters) { p in
            order.withUnsafeBufferPointer { order in
                for i in 0..<2000 {
                    let start = MonotonicClock.now()
                    Normalization.writeup.fill(test, indices: UnsafeBufferPointer(rebasing: order[i..<(i + 1)]),
                                               input: single.input, labels: single.labels)
                    single.forward(parameters: p.baseAddress!, batch: 1, version: singleVersion)
                    latencies.append(MonotonicClock.now() - start)
                }
            }
        }
        latencies.sort()
        imagesPerSecond["1"] = Double(latencies.count) / latencies.reduce(0, +)
        var percentiles: [String: Double] = [:]
        for p in [10, 50, 90, 99] { percentiles["\(p)"] = latencies[latencies.count * p / 100] * 1e6 }
        return InferenceMeasurement(imagesPerSecond: imagesPerSecond, singleImageMicroseconds: latencies[latencies.count / 2] * 1e6,
                                    singleImagePercentiles: percentiles)
    }

    /// Measures everything `BenchmarkResult` holds: training on `trainImages` images of `train`,
    /// inference on `test`, with `threads` threads; `log` hears each stage as it starts.
    public static func run(train: LabeledImages, test: LabeledImages, threads: Int, trainImages: Int,
                           log: (String) -> Void = { _ in }) -> BenchmarkResult {
        precondition(train.count > 0 && test.count > 0, "the bench needs training and test images")
        // Training: the recipe's first phase over `trainImages` images, batch 64, the real data path.
        // The machine's rate is sampled at the start, in the middle and at the end, and the best
        // kept: a neighbour's load on a shared machine can only make a sample slower.
        var rateSamples = [multiplyAddRateSample(threads: threads)]
        log("training on \(trainImages) images...")
        let (model, summary) = trainingSpeed(train, images: trainImages, threads: threads)

        let measured = inference(model, test: test, threads: threads, log: log)
        let inference = measured.imagesPerSecond, percentiles = measured.singleImagePercentiles

        // Per layer, on one thread, on the chunks of 16 the trainer uses, alternated fifteen times
        // with a one-thread training run (the real loop: batches, reduction, optimizer): the quietest
        // round of each is kept, so that the share outside the layers compares like with like on a
        // noisy machine. (With five rounds, about a third of a second, one neighbour's burst in
        // either kind of round moved the share between 1% and 14% from run to run.)
        log("per-layer profile and one-thread training steps, alternated...")
        let profiledImages = 1600
        var bestProfile: LayerProfile?, bestLayers = Double.infinity, bestStep = Double.infinity
        let workspace = NetworkWorkspace(model.network, capacity: Trainer.chunkSize)
        // The parameters do not change: the layers' caches are made once, as inference has them (in
        // training they are made once a step and a thread, which the training steps below include).
        let profileVersion = ParameterVersion.next()
        for _ in 0..<15 {
            let profile = LayerProfile()
            workspace.profile = profile
            withAlignedCopy(of: model.parameters) { p in
                (0..<profiledImages).map { $0 % train.count }.withUnsafeBufferPointer { indices in
                    var first = 0
                    while first < profiledImages {
                        Normalization.writeup.fill(train, indices: UnsafeBufferPointer(rebasing: indices[first..<(first + Trainer.chunkSize)]),
                                                   input: workspace.input, labels: workspace.labels)
                        workspace.forward(parameters: p.baseAddress!, batch: Trainer.chunkSize, version: profileVersion)
                        workspace.backward(parameters: p.baseAddress!, batch: Trainer.chunkSize, loss: .crossEntropy, normalizer: 64,
                                           version: profileVersion)
                        first += Trainer.chunkSize
                    }
                }
            }
            let layerSeconds = profile.seconds.reduce(0) { $0 + $1.seconds }
            if layerSeconds < bestLayers { bestLayers = layerSeconds; bestProfile = profile }
            let step = trainingSpeed(train, images: 3200, threads: 1).1
            bestStep = min(bestStep, step.seconds / Double(step.images))
        }
        rateSamples.append(multiplyAddRateSample(threads: threads))
        let total = bestLayers
        let steps = bestProfile?.seconds ?? []
        let layers = steps.map {
            BenchmarkResult.Layer(layer: $0.step.label(in: model.network), microsecondsPerImage: $0.seconds / Double(profiledImages) * 1e6,
                                  share: $0.seconds / total)
        }

        // Scaling: by threads, and by batch size (training at the recipe's first rate; inference).
        let scalingImages = min(trainImages, 19_200)
        var byThreads: [String: Double] = [:], byBatch: [String: Double] = [:], inferenceByBatch: [String: Double] = [:]
        for count in Set([1, threads]).sorted() {
            log("training on \(scalingImages) images, \(count) thread(s)...")
            let speed = trainingSpeed(train, images: scalingImages, threads: count).1.imagesPerSecond
            byThreads["\(count)"] = speed
        }
        for batch in [16, 64, 256, 1024] {
            log("batch \(batch)...")
            byBatch["\(batch)"] = trainingSpeed(train, images: scalingImages, threads: threads, batchSize: batch).1.imagesPerSecond
            inferenceByBatch["\(batch)"] = inferenceSpeed(model, test, batch: batch, threads: threads, rounds: 2)
        }
        let layerMicroseconds = total / Double(profiledImages) * 1e6
        let stepMicroseconds = bestStep * 1e6

        log("the 1998 model, one pattern at a time...")
        let paper = paperPattern(train: train, patterns: 3000)

        rateSamples.append(multiplyAddRateSample(threads: threads))
        let (peak, formula) = machinePeak(threads: threads, measured: rateSamples)
        let corePeak = peak / Double(min(threads, WorkerPool.availableProcessors))
        let layersWithRates = zip(layers, steps).map { layer, step in
            var rated = layer
            rated.percentOfOneCore = layerFLOP(step.step, in: model.network).map { 100 * $0 / (layer.microsecondsPerImage * 1e3) / corePeak }
            return rated
        }
        var fullyConnected: [String: Double] = [:]
        for backward in [false, true] {
            let chosen = zip(layers, steps).filter { _, step in
                step.step.isBackward == backward && step.step.layer.map { model.network.layers[$0] is FullyConnected } == true
            }
            let flop = chosen.compactMap { layerFLOP($0.1.step, in: model.network) }.reduce(0, +)
            let microseconds = chosen.map(\.0.microsecondsPerImage).reduce(0, +)
            if microseconds > 0 { fullyConnected[backward ? "backward" : "forward"] = 100 * flop / (microseconds * 1e3) / corePeak }
        }
        let trainGFLOP = summary.imagesPerSecond * trainingFLOP(model.network) / 1e9
        return BenchmarkResult(
            processor: processorName(), threads: threads, build: build,
            trainImages: summary.images, trainSeconds: summary.seconds, trainImagesPerSecond: summary.imagesPerSecond,
            inferenceImagesPerSecond: inference, singleImageMicroseconds: measured.singleImageMicroseconds,
            trainGFLOPPerSecond: trainGFLOP, inferenceGFLOPPerSecond: (inference["1000"] ?? 0) * forwardFLOP(model.network) / 1e9,
            machinePeakGFLOPPerSecond: peak, trainPercentOfPeak: peak > 0 ? 100 * trainGFLOP / peak : 0,
            layers: layersWithRates, fullyConnectedPercentOfOneCore: fullyConnected, peakMemoryMB: peakMemoryMB(), peakFormula: formula, singleImagePercentiles: percentiles,
            oneThreadStepMicroseconds: stepMicroseconds, layersMicroseconds: layerMicroseconds,
            outsideLayersShare: stepMicroseconds > 0 ? max(0, 1 - layerMicroseconds / stepMicroseconds) : 0,
            trainImagesPerSecondByThreads: byThreads, trainImagesPerSecondByBatch: byBatch,
            inferenceImagesPerSecondByBatch: inferenceByBatch, paperPatternMicroseconds: paper.microseconds, paperLayers: paper.layers)
    }

    /// The FLOP per image of a profiled step (C3's forward pass, F6's backward pass): 2 per
    /// multiply-add; a backward pass is the weights' gradient and the input's (the first layer's,
    /// the weights' only). nil for the steps without weights (pooling, the loss).
    static func layerFLOP(_ step: ProfileStep, in network: Network = LeNet5.network) -> Double? {
        guard let index = step.layer, network.layers[index].parameterCount > 0 else { return nil }
        return layerFLOP(index, backward: step.isBackward, in: network)
    }

    /// The FLOP per image of layer `index`'s forward or backward pass (0 for a layer without weights).
    static func layerFLOP(_ index: Int, backward: Bool, in network: Network) -> Double {
        let layer = network.layers[index]
        guard layer.parameterCount > 0 else { return 0 }
        let forward = 2 * Double(layer.multiplyAdds)
        return !backward ? forward : index == 0 ? forward : 2 * forward
    }

    /// The largest resident set so far, in MB (10^6 bytes).
    public static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024 / 1e6
    }

    static func cpuInfo() -> [Substring] {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n")
    }

    /// The processor's model name from /proc/cpuinfo ("unknown" when it has none).
    public static func processorName() -> String {
        let line = cpuInfo().first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } } ?? "unknown"
    }

    /// FLOP per second of every core at once (`multiplyAddRate`), 0 in a build without fused multiply-adds.
    static func multiplyAddRateSample(threads: Int) -> Double {
        #if FUSED_MULTIPLY_ADD
        return multiplyAddRate(threads: min(threads, WorkerPool.availableProcessors)).reduce(0, +)
        #else
        return 0
        #endif
    }

    /// An estimate of the machine's peak for `threads` threads: cores x clock x FMA units x lanes x 2,
    /// with the clock measured (native builds: the best of `measured`, rates of 16-lane multiply-adds
    /// on every core at once, divided by units x lanes x 2; other builds: the clock /proc/cpuinfo reports) and the
    /// vector width /proc/cpuinfo's flags name (16 float lanes with
    /// AVX-512, 8 with AVX2 and FMA, and with AVX-512 on AMD's Zen 4, whose units are 256 bits wide;
    /// without FMA, 4 lanes of SSE, one multiply and one add a cycle). Two FMA units are assumed: right
    /// for server cores of the last decade; some AVX-512 parts have one, which halves the true peak.
    /// 0 when the clock is unknown.
    static func machinePeak(threads: Int, measured samples: [Double]) -> (gflop: Double, formula: String) {
        let lines = cpuInfo()
        let megahertz = lines.first(where: { $0.hasPrefix("cpu MHz") })
            .flatMap({ Double($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") })
        let flags = Set((lines.first { $0.hasPrefix("flags") } ?? "").split(separator: " "))
        let fma = flags.contains("fma")
        // AMD's Zen 4 (family 25) decodes AVX-512 into two 256-bit halves: 8 lanes' rate per unit.
        // Zen 5 (family 26) and Intel's AVX-512 cores have 512-bit units.
        let vendor = lines.first { $0.hasPrefix("vendor_id") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
        let family = lines.first { $0.hasPrefix("cpu family") }.flatMap { Int($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") }
        let halfWidth = vendor == "AuthenticAMD" && family == 25
        let lanes = flags.contains("avx512f") && fma && !halfWidth ? 16.0 : (flags.contains("avx2") && fma ? 8.0 : 4.0)
        let units = fma ? 2.0 : 1.0
        let cores = min(threads, WorkerPool.availableProcessors)
        let unitName = fma ? "FMA units" : "multiply and add pair"
        #if FUSED_MULTIPLY_ADD
        // The clock under load, measured: cpuinfo's is the nominal one (a virtual machine's cores
        // were measured running 37% faster than it says).
        let measured = samples.max() ?? 0
        let gigahertz = measured / Double(cores) / (units * lanes * 2) / 1e9
        let nominal = megahertz.map { String(format: "; /proc/cpuinfo says %.2f", $0 / 1000) } ?? ""
        let spread = samples.map { String(format: "%.2f", $0 / Double(cores) / (units * lanes * 2) / 1e9) }.joined(separator: ", ")
        let formula = String(format: "%d cores x %.2f GHz (measured by 16-lane multiply-adds on every core at once, the best of %d samples through the bench: %@%@) x %.0f %@ x %.0f lanes x 2 FLOP",
                             cores, gigahertz, samples.count, spread, nominal, units, unitName, lanes)
        return (measured / 1e9, formula)
        #else
        guard let megahertz else { return (0, "unknown clock") }
        let formula = String(format: "%d cores x %.2f GHz (/proc/cpuinfo) x %.0f %@ x %.0f lanes x 2 FLOP", cores, megahertz / 1000, units, unitName, lanes)
        return (Double(cores) * megahertz / 1000 * units * lanes * 2, formula)
        #endif
    }
}

extension Benchmark {
    /// The 1998 model's unit of work, one pattern of stochastic diagonal Levenberg-Marquardt (prepare,
    /// forward, backward with eq. 8, the step), on one thread: microseconds per pattern, and per layer.
    public static func paperPattern(train: LabeledImages, patterns: Int) -> (microseconds: Double, layers: [BenchmarkResult.Layer]) {
        let model = LeNet1998(seed: 0)
        let network = LeNet1998.network
        var optimizer = StochasticDiagonalLevenbergMarquardt(parameterCount: network.layout.count)
        // Steps of eta / mu (no curvature): the cost of a pattern does not depend on them.
        let noCurvature = [Float](repeating: 0, count: network.layout.count)
        noCurvature.withUnsafeBufferPointer { optimizer.setSecondDerivatives(sum: $0.baseAddress!, patterns: 1, learningRate: 0.0005) }
        let workspace = NetworkWorkspace(network, capacity: 1)
        let steps = optimizer.stepSizes
        var parameters = model.parameters
        let count = min(patterns, train.count)
        func run(profile: LayerProfile?) -> Double {
            workspace.profile = profile
            let start = MonotonicClock.now()
            withAlignedCopy(of: &parameters) { p in
                train.pixels.withUnsafeBufferPointer { pixels in
                    for n in 0..<count {
                        profile?.start()
                        LeNet1998.inputPreparation.prepare(pixels.baseAddress! + n * 784, into: workspace.input)
                        // The model's ten outputs: a data set's other classes as 0 (a pattern's cost
                        // does not depend on its label).
                        workspace.labels[0] = train.labels[n] < 10 ? Int32(train.labels[n]) : 0
                        profile?.lap(.prepare)
                        workspace.forward(parameters: p.baseAddress!, batch: 1)
                        steps.withUnsafeBufferPointer {
                            _ = workspace.backwardAndStep(parameters: p.baseAddress!, loss: .penalty(.meanSquaredError), stepSizes: $0.baseAddress!)
                        }
                    }
                }
            }
            return MonotonicClock.now() - start
        }
        let seconds = run(profile: nil)
        let profile = LayerProfile()
        _ = run(profile: profile)
        let total = profile.seconds.reduce(0) { $0 + $1.seconds }
        let layers = profile.seconds.map {
            BenchmarkResult.Layer(layer: $0.step.label(in: network), microsecondsPerImage: $0.seconds / Double(count) * 1e6, share: $0.seconds / total)
        }
        return (seconds / Double(count) * 1e6, layers)
    }
}
