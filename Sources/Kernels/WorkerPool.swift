import Dispatch
import Foundation
import Synchronization

/// Persistent worker threads for splitting a batch. `run(tasks:)` returns when body(task, thread) has
/// run for every task. Thread t (thread 0 is the caller) takes tasks t, t + threads, ... first, then
/// any another thread has not yet taken: a thread that another process keeps off its core holds up
/// only the task it took.
/// Which thread runs a task never changes a result: callers give each task its own output buffers
/// and combine them in task order, and a thread's own buffers are only scratch.
///
/// Waiting spins briefly, then blocks. A worker waiting for the next hand-off spins for up to
/// `spinSeconds` before it sleeps on its semaphore: training hands off every batch, a fraction of a
/// millisecond apart, so on a machine of its own the workers rarely sleep (waking a thread costs tens
/// to hundreds of microseconds on a virtual machine). The caller, once no task is left to take, spins
/// as briefly for the tasks still running and then sleeps until the last one ends. On a machine where
/// another process holds a core, a sleeping thread leaves the core to the threads that have work.
///
/// Whether the other threads help at all is measured as it runs. Where another process holds a
/// core, a thread of this pool shares that core and is taken off it for whole time slices while the
/// others wait for its task; there one thread can be faster than several. So the pool times its
/// hand-offs in windows of `windowSeconds`, now and then runs one window the other way (all the
/// tasks on the caller, or shared out), and keeps whichever way finished more tasks per second,
/// sharing out only when it is at least `sharingMargin` times as fast: a core taken from the other
/// processes for less is not worth it, and a window's rate on a busy machine swings by more.
/// A probe that loses doubles the windows to the next one, from `shortestProbeInterval` up to
/// `longestProbeInterval` (a probe of the slower way costs its window's difference); a probe that
/// wins switches and starts the count again. Results are the same either way.
public final class WorkerPool: @unchecked Sendable {
    /// The threads that run tasks, the caller's included.
    public let threadCount: Int
    private let state: State
    /// Touched only by `run`'s caller (a pool has one caller at a time).
    private var choice = Choice()

    /// Where `run`'s time went: tasks shared out over the threads, or run by the caller alone
    /// because sharing out measured no gain.
    public struct Usage: Sendable, Equatable {
        /// The threads the tasks are shared out over, the caller's included.
        public var threads = 1
        /// Seconds `run` spent with its tasks shared out over the threads.
        public var sharedSeconds = 0.0
        /// Seconds `run` spent running every task on the caller, by the pool's choice (a pool of
        /// one thread, or a hand-off of one task, counts in neither).
        public var aloneSeconds = 0.0

        /// A record of no time.
        public init() {}

        /// sharedSeconds / (sharedSeconds + aloneSeconds); nil when neither has any time.
        public var sharedFraction: Double? {
            let total = sharedSeconds + aloneSeconds
            return total > 0 ? sharedSeconds / total : nil
        }
    }

    /// Where this pool's `run` time has gone so far (read by `run`'s caller).
    public private(set) var usage = Usage()

    /// The length of one measuring window; how many windows pass between two probes of the other
    /// way, at first and at most (the first probe comes after `firstProbe` windows).
    static let windowSeconds = 0.02
    static let shortestProbeInterval = 10
    static let longestProbeInterval = 100
    static let firstProbe = 1
    static let sharingMargin = 1.1

    /// How the pool shares out its tasks, and the measurements that choose it.
    struct Choice {
        var measured = true
        var shared = true
        var probing = false
        var windowStart = 0.0
        var windowTasks = 0
        var windowsToProbe = WorkerPool.firstProbe
        /// Windows from one probe to the next: doubled by a probe that loses.
        var probeInterval = WorkerPool.shortestProbeInterval
        /// Tasks per second, smoothed over the windows run each way (0: not yet measured).
        var sharedRate = 0.0
        var aloneRate = 0.0

        /// Counts `tasks` finished at `now`; at the end of a window, records its rate and chooses the
        /// way the next window runs.
        mutating func record(tasks: Int, start: Double, now: Double) {
            guard measured else { return }
            if windowStart == 0 { windowStart = start }
            windowTasks += tasks
            let seconds = now - windowStart
            guard seconds >= WorkerPool.windowSeconds else { return }
            let rate = Double(windowTasks) / seconds
            if shared { sharedRate = sharedRate == 0 ? rate : (sharedRate + rate) / 2 }
            else { aloneRate = aloneRate == 0 ? rate : (aloneRate + rate) / 2 }
            windowStart = 0
            windowTasks = 0
            if probing {
                probing = false
                let probeWon = shared == (sharedRate >= WorkerPool.sharingMargin * aloneRate)
                probeInterval = probeWon ? WorkerPool.shortestProbeInterval : min(2 * probeInterval, WorkerPool.longestProbeInterval)
                windowsToProbe = probeInterval
                if !probeWon { shared.toggle() }
            } else {
                windowsToProbe -= 1
                if windowsToProbe <= 0 {
                    probing = true
                    shared.toggle()
                }
            }
        }
    }

    /// How long an idle worker, or the caller waiting for the last tasks, spins before it sleeps.
    static let spinSeconds = 0.002
    /// How long it spins before it spins by yielding its core to any other thread that is ready.
    static let busySpinSeconds = 0.00005

    /// Within a spin: after `busySpinSeconds`, yield the core (a no-op on an idle core, and on a busy
    /// one it lets a thread with work, this process's or another's, run instead of the spin).
    static func pause(since start: Double, now: Double) {
        if now - start > busySpinSeconds { sched_yield() }
    }

    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// The shared state the workers see; the pool's owner holds the pool, the workers only this.
    private final class State: @unchecked Sendable {
        let threadCount: Int
        let start: [DispatchSemaphore]
        /// Advanced by `run` for every hand-off (and by `deinit`, with `stopping` set).
        let generation = Atomic<Int>(0)
        /// Thread t's tasks are t, t + threadCount, t + 2 threadCount, ...; `next[t]` holds the
        /// hand-off's generation (its low 31 bits) in its high half and how many of them have been
        /// taken in its low half. A thread takes its own tasks first (each chunk's buffers stay in its
        /// core's caches from batch to batch), then the others' that are left.
        let next: [Counter]
        let taskCount = Atomic<Int>(0)
        /// Tasks of the current hand-off finished.
        let finished = Atomic<Int>(0)
        /// Whether worker t sleeps (or is about to) on start[t].
        let sleeping: [Flag]
        /// Whether the caller sleeps (or is about to) on `allFinished`.
        let callerSleeping = Flag()
        let allFinished = DispatchSemaphore(value: 0)
        /// Read only by a thread that holds a task of the current hand-off, which `run` does not
        /// replace until every task has finished.
        var job: ((_ task: Int, _ thread: Int) -> Void)?
        let stopping = Atomic<Bool>(false)

        init(threadCount: Int) {
            self.threadCount = threadCount
            start = (0..<threadCount).map { _ in DispatchSemaphore(value: 0) }
            sleeping = (0..<threadCount).map { _ in Flag() }
            next = (0..<threadCount).map { _ in Counter() }
        }

        static func tag(_ generation: Int) -> Int { (generation & 0x7fff_ffff) << 32 }

        /// Takes the next of thread `owner`'s tasks of hand-off `generation`, or nil when none is left.
        func take(_ generation: Int, from owner: Int) -> Int? {
            let tag = Self.tag(generation), counter = next[owner]
            var current = counter.value.load(ordering: .sequentiallyConsistent)
            while true {
                guard current & ~0xffff_ffff == tag else { return nil }
                let task = owner + (current & 0xffff_ffff) * threadCount
                guard task < taskCount.load(ordering: .sequentiallyConsistent) else { return nil }
                let (exchanged, original) = counter.value.compareExchange(expected: current, desired: current + 1, ordering: .sequentiallyConsistent)
                if exchanged { return task }
                current = original
            }
        }

        /// Takes a task of hand-off `generation` for thread `thread`: its own first, then the others'.
        func take(_ generation: Int, for thread: Int) -> Int? {
            for offset in 0..<threadCount {
                if let task = take(generation, from: (thread + offset) % threadCount) { return task }
            }
            return nil
        }

        /// Runs one task. Never inlined: the job's closure, retained for the call, is released before
        /// this returns, so before the task counts as finished and `run` checks (leaving
        /// `withoutActuallyEscaping`) that nothing holds it.
        @inline(never)
        func perform(_ task: Int, as thread: Int) {
            job?(task, thread)
        }

        /// Runs tasks of hand-off `generation` as thread `thread` until none is left.
        func runTasks(_ generation: Int, as thread: Int) {
            while let task = take(generation, for: thread) {
                perform(task, as: thread)
                let done = finished.add(1, ordering: .sequentiallyConsistent).newValue
                if done == taskCount.load(ordering: .sequentiallyConsistent), callerSleeping.value.load(ordering: .sequentiallyConsistent) {
                    allFinished.signal()
                }
            }
        }

        func work(as thread: Int) {
            var seen = 0
            while true {
                var spinStart = 0.0, spins = 0
                while generation.load(ordering: .sequentiallyConsistent) == seen {
                    spins &+= 1
                    if spins & 63 != 0 { continue }
                    let now = WorkerPool.seconds()
                    if spinStart == 0 { spinStart = now; continue }
                    if now - spinStart < WorkerPool.spinSeconds { WorkerPool.pause(since: spinStart, now: now); continue }
                    // Sleep; `run` signals a sleeper after it advances the generation. A signal that
                    // finds this worker awake leaves the semaphore at 1: the loop checks again.
                    sleeping[thread].value.store(true, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { start[thread].wait() }
                    sleeping[thread].value.store(false, ordering: .sequentiallyConsistent)
                    spinStart = 0
                }
                seen = generation.load(ordering: .sequentiallyConsistent)
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                runTasks(seen, as: thread)
            }
        }

        /// Starts hand-off `generation + 1` of `tasks` tasks and wakes the workers that sleep.
        ///
        /// The counters take the new tag before the task count changes. A thread late from the last
        /// hand-off may still be in `take` with the old tag; were the count to grow first, it could
        /// find one of the new tasks within the count and claim it on the old tag, running that task
        /// twice and letting `run` return while one copy still runs. With the counters retagged
        /// first, its claim fails.
        func handOff(tasks: Int) {
            let generation = self.generation.load(ordering: .sequentiallyConsistent) &+ 1
            for counter in next { counter.value.store(Self.tag(generation), ordering: .sequentiallyConsistent) }
            taskCount.store(tasks, ordering: .sequentiallyConsistent)
            finished.store(0, ordering: .sequentiallyConsistent)
            self.generation.store(generation, ordering: .sequentiallyConsistent)
            for thread in 1..<threadCount where sleeping[thread].value.load(ordering: .sequentiallyConsistent) {
                start[thread].signal()
            }
        }

        /// Waits until every task of the current hand-off has finished: spins, then sleeps.
        func waitForTasks() {
            let tasks = taskCount.load(ordering: .sequentiallyConsistent)
            var spinStart = 0.0, spins = 0
            while finished.load(ordering: .sequentiallyConsistent) < tasks {
                spins &+= 1
                if spins & 63 != 0 { continue }
                let now = WorkerPool.seconds()
                if spinStart == 0 { spinStart = now; continue }
                if now - spinStart < WorkerPool.spinSeconds { WorkerPool.pause(since: spinStart, now: now); continue }
                callerSleeping.value.store(true, ordering: .sequentiallyConsistent)
                if finished.load(ordering: .sequentiallyConsistent) < tasks { allFinished.wait() }
                callerSleeping.value.store(false, ordering: .sequentiallyConsistent)
                spinStart = 0
            }
        }
    }

    /// A pool of `threads` threads (the caller's counts as one); at least 1. `measured: false`
    /// always shares the tasks out (for tests).
    public init(threads: Int, measured: Bool = true) {
        threadCount = max(1, threads)
        state = State(threadCount: threadCount)
        choice.measured = measured
        usage.threads = threadCount
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
        state.handOff(tasks: 0)
    }

    /// Runs body(task, thread) for every task in 0..<tasks, spread over the threads.
    public func run(tasks: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        guard threadCount > 1, tasks > 1, tasks < 1 << 31 else {
            for task in 0..<tasks { body(task, 0) }
            return
        }
        let start = Self.seconds()
        let shared = choice.shared
        if shared {
            withoutActuallyEscaping(body) { job in
                state.job = job
                state.handOff(tasks: tasks)
                state.runTasks(state.generation.load(ordering: .sequentiallyConsistent), as: 0)
                state.waitForTasks()
                state.job = nil
            }
        } else {
            for task in 0..<tasks { body(task, 0) }
        }
        let now = Self.seconds()
        if shared { usage.sharedSeconds += now - start } else { usage.aloneSeconds += now - start }
        choice.record(tasks: tasks, start: start, now: now)
    }
}
