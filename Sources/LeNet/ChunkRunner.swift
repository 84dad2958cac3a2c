import Datasets
import Imaging
import Kernels
import NeuralNetwork

/// The one path by which images reach a network in chunks, for training, evaluation and the
/// benchmark: a list of image indices is cut into chunks of up to `chunkSize`, the chunks are shared
/// out over a worker pool, each chunk's input is prepared into its thread's workspace, and `body`
/// runs on it.
///
/// Every thread has one workspace, used by its chunks in turn. Training also gives every chunk of a
/// batch its own gradient buffer (`.perChunkGradients`), so that the chunks' gradients can be added
/// in chunk order: the same result on one thread or many. (A workspace for every chunk would keep
/// four workspaces' activations, about 4 MB, cycling through a core's caches: one thread trained
/// 2-5% slower that way.)
public final class ChunkRunner {
    /// What each thread, and each chunk, gets to work in.
    public enum Workspaces: Sendable {
        /// A workspace a thread, and a gradient buffer for each of up to `maximumChunks` chunks.
        case perChunkGradients(maximumChunks: Int)
        /// A workspace a thread: each image's scores depend on that image alone.
        case perThread
    }

    /// The most images in one chunk.
    public let chunkSize: Int
    /// One workspace per thread of the pool.
    public let workspaces: [NetworkWorkspace]
    /// dE/dw of each chunk (`.perChunkGradients`), in the network's layout; empty otherwise.
    public let chunkGradients: [UnsafeMutablePointer<Float>]
    let pool: WorkerPool
    let preparation: InputPreparation

    /// A runner for `network`: inputs prepared by `preparation`, chunks of up to `chunkSize` images
    /// over `threads` threads; `training: false` leaves out what only the backward passes need.
    public init(network: Network, preparation: InputPreparation, chunkSize: Int, workspaces: Workspaces, threads: Int,
                kernels: KernelChoice = .fast, training: Bool) {
        precondition(chunkSize > 0)
        self.chunkSize = chunkSize
        self.preparation = preparation
        switch workspaces {
        case .perChunkGradients(let chunks):
            pool = WorkerPool(threads: max(1, min(threads, chunks)))
            let count = max(1, network.layout.count)
            chunkGradients = (0..<chunks).map { _ in
                let buffer = allocateAlignedFloats(count)
                buffer.initialize(repeating: 0, count: count)
                return buffer
            }
        case .perThread:
            pool = WorkerPool(threads: max(1, threads))
            chunkGradients = []
        }
        self.workspaces = (0..<pool.threadCount).map { _ in NetworkWorkspace(network, capacity: chunkSize, kernels: kernels, training: training) }
    }

    /// Where the pool's time has gone so far: shared out, or on the caller alone.
    public var poolUsage: WorkerPool.Usage { pool.usage }

    deinit { for buffer in chunkGradients { buffer.deallocate() } }

    /// Runs body(range) for ranges that cover 0..<count, one per thread, at once (each range a
    /// multiple of 16 long but the last).
    public func shareOut(_ count: Int, _ body: (Range<Int>) -> Void) {
        let parts = pool.threadCount, size = ((count + parts - 1) / parts + 15) / 16 * 16
        pool.run(tasks: parts) { part, _ in
            let start = min(count, part * size), end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// The number of chunks `count` images make.
    public func chunks(_ count: Int) -> Int { (count + chunkSize - 1) / chunkSize }

    /// Prepares and runs every chunk of the images `indices` of `data`: `body(chunk, first, workspace,
    /// count)`, where `first` is the chunk's position in `indices` and `count` its images.
    ///
    /// With `distortion`, each image is first resampled through the transform it returns for the
    /// image's position in `indices` (training's augmentation), then prepared as usual.
    public func run(_ data: LabeledImages, indices: UnsafeBufferPointer<Int>,
                    distortion: ((_ position: Int) -> AffineDistortion.Transform)? = nil,
                    _ body: (_ chunk: Int, _ first: Int, _ workspace: NetworkWorkspace, _ count: Int) -> Void) {
        let chunkSize = self.chunkSize
        pool.run(tasks: chunks(indices.count)) { chunk, thread in
            let first = chunk * chunkSize, count = min(chunkSize, indices.count - first)
            let workspace = workspaces[thread]
            preparation.fill(data, indices: UnsafeBufferPointer(rebasing: indices[first..<(first + count)]),
                             input: workspace.input, labels: workspace.labels, distortion: distortion.map { d in { d(first + $0) } })
            body(chunk, first, workspace, count)
        }
    }
}
