import Dispatch
import Foundation
import Synchronization

/// Persistent worker threads for splitting a batch. `run(tasks:)` hands task t to thread t % threads
/// (thread 0 is the caller) and returns when every task is done. Which thread runs a task never
/// changes a result: callers give each task its own output buffers and combine them in task order.
///
/// A hand-off is a counter: `run` advances `generation`, and a worker that has seen the last value
/// spins on it, for up to `spinSeconds`, before it sleeps on its semaphore. Training hands off every
/// batch, a millisecond or two apart, so the workers never sleep while it runs: waking a sleeping
/// thread costs tens to hundreds of microseconds on a virtual machine, a quarter of a batch's time
/// with two threads (measured with `lenet bench`, see docs/RESULTS.md). Idle pools sleep.
public final class WorkerPool: @unchecked Sendable {
    public let threadCount: Int
    private let state: State

    /// How long an idle worker spins before it sleeps.
    static let spinSeconds = 0.002

    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// The shared state the workers see; the pool's owner holds the pool, the workers only this.
    private final class State: @unchecked Sendable {
        let threadCount: Int
        let start: [DispatchSemaphore]
        /// Advanced by `run` for every hand-off (and by `deinit`, with `stopping` set).
        let generation = Atomic<Int>(0)
        /// Workers still running their tasks of the current hand-off.
        let remaining = Atomic<Int>(0)
        /// Whether worker t sleeps (or is about to) on start[t].
        let sleeping: [Flag]
        var job: ((_ task: Int, _ thread: Int) -> Void)?
        var taskCount = 0
        let stopping = Atomic<Bool>(false)

        init(threadCount: Int) {
            self.threadCount = threadCount
            start = (0..<threadCount).map { _ in DispatchSemaphore(value: 0) }
            sleeping = (0..<threadCount).map { _ in Flag() }
        }

        func work(as thread: Int) {
            var seen = 0
            while true {
                var spinStart = 0.0, spins = 0
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    spins &+= 1
                    if spins & 255 != 0 { continue }
                    let now = WorkerPool.seconds()
                    if spinStart == 0 { spinStart = now; continue }
                    if now - spinStart < WorkerPool.spinSeconds { continue }
                    // Sleep; `run` signals a sleeper after it advances the generation. A signal that
                    // finds this worker awake leaves the semaphore at 1: the loop checks again.
                    sleeping[thread].value.store(true, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { start[thread].wait() }
                    sleeping[thread].value.store(false, ordering: .sequentiallyConsistent)
                    spinStart = 0
                }
                seen = generation.load(ordering: .sequentiallyConsistent)
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                if let job {
                    var task = thread
                    while task < taskCount {
                        job(task, thread)
                        task += threadCount
                    }
                }
                remaining.subtract(1, ordering: .sequentiallyConsistent)
            }
        }

        /// Advances the generation and wakes the workers that sleep.
        func handOff() {
            generation.add(1, ordering: .sequentiallyConsistent)
            for thread in 1..<threadCount where sleeping[thread].value.load(ordering: .sequentiallyConsistent) {
                start[thread].signal()
            }
        }
    }

    /// A pool of `threads` threads (the caller's counts as one); at least 1.
    public init(threads: Int) {
        threadCount = max(1, threads)
        state = State(threadCount: threadCount)
        for thread in 1..<max(threadCount, 1) {
            let state = self.state
            let worker = Thread { state.work(as: thread) }
            worker.name = "lenet-worker-\(thread)"
            worker.start()
        }
    }

    /// The machine's active processor count.
    public static var availableProcessors: Int { ProcessInfo.processInfo.activeProcessorCount }

    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    deinit {
        guard threadCount > 1 else { return }
        state.stopping.store(true, ordering: .sequentiallyConsistent)
        state.handOff()
    }

    /// Runs body(task, thread) for every task in 0..<tasks, spread over the threads.
    public func run(tasks: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        guard threadCount > 1, tasks > 1 else {
            for task in 0..<tasks { body(task, 0) }
            return
        }
        withoutActuallyEscaping(body) { job in
            state.job = job
            state.taskCount = tasks
            state.remaining.store(threadCount - 1, ordering: .sequentiallyConsistent)
            state.handOff()
            var task = 0
            while task < tasks {
                job(task, 0)
                task += threadCount
            }
            // The workers' share takes as long as this thread's: spin, yielding now and then.
            var spins = 0
            while state.remaining.load(ordering: .sequentiallyConsistent) > 0 {
                spins &+= 1
                if spins & 1023 == 0 { sched_yield() }
            }
            state.job = nil
        }
    }
}
