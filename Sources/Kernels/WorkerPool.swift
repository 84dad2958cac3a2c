import Dispatch
import Foundation

/// Persistent worker threads for splitting a batch. `run(tasks:)` hands task t to thread t % threads
/// (thread 0 is the caller) and returns when every task is done. Which thread runs a task never
/// changes a result: callers give each task its own output buffers and combine them in task order.
///
/// Persistent threads woken by semaphores cost a few microseconds per hand-off, against tens of
/// microseconds for a fresh `concurrentPerform` on this kind of machine.
public final class WorkerPool: @unchecked Sendable {
    public let threadCount: Int
    private let state: State

    /// The shared state the workers see; the pool's owner holds the pool, the workers only this.
    private final class State: @unchecked Sendable {
        let threadCount: Int
        let start: [DispatchSemaphore]
        let done = DispatchSemaphore(value: 0)
        var job: ((_ task: Int, _ thread: Int) -> Void)?
        var taskCount = 0
        var stopping = false

        init(threadCount: Int) {
            self.threadCount = threadCount
            start = (0..<threadCount).map { _ in DispatchSemaphore(value: 0) }
        }

        func work(as thread: Int) {
            while true {
                start[thread].wait()
                if stopping { return }
                if let job {
                    var task = thread
                    while task < taskCount {
                        job(task, thread)
                        task += threadCount
                    }
                }
                done.signal()
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

    deinit {
        state.stopping = true
        for thread in 1..<threadCount { state.start[thread].signal() }
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
            for thread in 1..<threadCount { state.start[thread].signal() }
            var task = 0
            while task < tasks {
                job(task, 0)
                task += threadCount
            }
            for _ in 1..<threadCount { state.done.wait() }
            state.job = nil
        }
    }
}
