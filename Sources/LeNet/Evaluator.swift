import Datasets
import Foundation
import Imaging
import Kernels
import NeuralNetwork

extension Evaluation {
    /// What each class is called, from a checkpoint's metadata (`MetadataKey.classNames`, a JSON
    /// array), or "0", "1", ... when it has none that fit.
    public static func classNames(_ metadata: [String: String], classes: Int) -> [String] {
        if let text = metadata[MetadataKey.classNames], let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)),
           names.count == classes {
            return names
        }
        return (0..<classes).map(String.init)
    }
}

/// Runs a model over a labeled set: the scores, predictions and accuracy of every image.
public enum Evaluator {
    /// Runs `model` over every image of `data`, in chunks of `chunkSize` images shared out over
    /// `threads` threads (each with its own workspace). Each image's scores depend only on that image,
    /// so neither the thread count nor the chunk size changes them.
    public static func evaluate<Model: LayeredModel>(_ model: Model, on data: LabeledImages, chunkSize: Int = 50,
                                                    kernels: KernelChoice = .fast, threads: Int = WorkerPool.availableProcessors,
                                                    onProgress: ((_ done: Int) -> Void)? = nil) -> Evaluation {
        let classes = model.classes
        let runner = ChunkRunner(network: model.network, preparation: Model.inputPreparation, chunkSize: chunkSize, workspaces: .perThread,
                                 threads: min(threads, (data.count + chunkSize - 1) / chunkSize), kernels: kernels, training: false)
        // Written by the chunks' threads at their own positions, copied out at the end.
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: data.count * classes)
        let predictions = UnsafeMutableBufferPointer<Int>.allocate(capacity: data.count)
        let indices = UnsafeMutableBufferPointer<Int>.allocate(capacity: data.count)
        defer { scores.deallocate(); predictions.deallocate(); indices.deallocate() }
        for i in 0..<data.count { indices[i] = i }
        // Images go out in groups, so that progress can be reported between them.
        let group = onProgress == nil ? max(data.count, 1) : max(1, runner.workspaces.count * 8) * chunkSize
        // The parameters do not change here: one version for the layers' caches.
        let version = ParameterVersion.next()
        withAlignedCopy(of: model.parameters) { parameters in
            for start in stride(from: 0, to: data.count, by: group) {
                let end = min(data.count, start + group)
                runner.run(data, indices: UnsafeBufferPointer(rebasing: indices[start..<end])) { _, first, workspace, count in
                    workspace.forward(parameters: parameters.baseAddress!, batch: count, version: version)
                    let position = start + first
                    (scores.baseAddress! + position * classes).update(from: workspace.scores, count: count * classes)
                    for n in 0..<count { predictions[position + n] = workspace.prediction(n) }
                }
                onProgress?(end)
            }
        }
        return Evaluation(count: data.count, classCount: classes, logits: Array(scores), predictions: Array(predictions),
                          labels: data.labels.map(Int.init), scores: model.scores)
    }

    /// Saves each example's image as a greyscale PNG under its write-up name in `folder`; returns the paths.
    public static func saveImages(_ examples: [Example], from data: LabeledImages, into folder: String) throws -> [String] {
        try examples.map { example in
            let path = (folder as NSString).appendingPathComponent(example.fileName)
            let image = Image(width: data.columns, height: data.rows, channels: 1, pixels: Array(data.image(example.index)))
            try PNG.write(image, to: path)
            return path
        }
    }
}
