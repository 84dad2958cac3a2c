import Foundation
import Synchronization
import Testing
@testable import Kernels

@Suite struct WorkerPoolTests {
    /// Every task runs exactly once per `run`, on a thread of the pool, and a thread runs one task at
    /// a time (so its own buffers are never shared), however the threads take them.
    @Test(arguments: [1, 2, 3, 5])
    func everyTaskRunsOnceAndAThreadRunsOneAtATime(threads: Int) {
        let pool = WorkerPool(threads: threads)
        let tasks = 23
        let runs = Mutex([Int](repeating: 0, count: tasks))
        let busy = Mutex([Bool](repeating: false, count: pool.threadCount))
        let overlaps = Atomic<Int>(0)
        for round in 1...50 {
            pool.run(tasks: tasks) { task, thread in
                #expect((0..<pool.threadCount).contains(thread))
                if busy.withLock({ let was = $0[thread]; $0[thread] = true; return was }) { overlaps.add(1, ordering: .relaxed) }
                if task % 7 == round % 7 { usleep(200) }   // some tasks take longer, so the order varies
                busy.withLock { $0[thread] = false }
                runs.withLock { $0[task] += 1 }
            }
            #expect(runs.withLock { $0 } == [Int](repeating: round, count: tasks))
        }
        #expect(overlaps.load(ordering: .relaxed) == 0)
    }

    /// A thread held up in one task (as by another process on its core) does not hold up the
    /// others: the rest of the tasks are taken by the threads that are free.
    @Test func aSlowThreadHoldsUpOnlyItsOwnTask() {
        let pool = WorkerPool(threads: 2, measured: false)
        let tasks = 40
        let byThread = Mutex([Int](repeating: 0, count: 2))
        pool.run(tasks: tasks) { _, thread in
            if thread == 1 { usleep(50_000) }   // the worker is held up in every task it takes
            byThread.withLock { $0[thread] += 1 }
        }
        let counts = byThread.withLock { $0 }
        #expect(counts.reduce(0, +) == tasks)
        // With fixed shares the worker would run 20 tasks (a second); here it takes one or two while
        // the caller runs the rest.
        #expect(counts[1] <= 2, "the worker ran \(counts[1]) of \(tasks) tasks")
    }

    /// A pool left idle long enough for its workers to sleep still runs every task when called again.
    @Test func sleepingWorkersWakeForTheNextHandOff() {
        let pool = WorkerPool(threads: 3)
        let total = Atomic<Int>(0)
        for _ in 0..<5 {
            usleep(5_000)   // far past spinSeconds: the workers sleep
            pool.run(tasks: 9) { task, _ in total.add(task, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 5 * 36)
    }

    /// Many quick hand-offs in a row: a worker still holding the last task's closure when `run`
    /// returns traps ("non-escaping closure has escaped"), as it once did under load.
    @Test(arguments: [2, 3])
    func quickHandOffsNeverOutliveTheirClosure(threads: Int) {
        let pool = WorkerPool(threads: threads, measured: false)
        let total = Atomic<Int>(0)
        for _ in 0..<20_000 {
            let weights = [1, 1, 1, 1]   // captured: the closure has a context to retain
            pool.run(tasks: 4) { task, _ in
                total.add(task * weights[task], ordering: .relaxed)
            }
        }
        #expect(total.load(ordering: .relaxed) == 20_000 * 6)
    }

    /// Hand-offs of different sizes in a row: a worker late from one hand-off (still taking its
    /// tasks when the next begins) must not take a task of the next one outside its share, or that
    /// task runs twice and `run` returns while one copy still runs.
    @Test(arguments: [2, 3])
    func aLateWorkerNeverTakesATaskOfTheNextHandOff(threads: Int) {
        let pool = WorkerPool(threads: threads, measured: false)
        let sizes = [2, 37, 3, 64]
        let runs = Mutex([Int](repeating: 0, count: sizes.max()!))
        let extra = Atomic<Int>(0)
        for round in 0..<20_000 {
            let tasks = sizes[round % sizes.count]
            runs.withLock { $0 = [Int](repeating: 0, count: $0.count) }
            pool.run(tasks: tasks) { task, _ in
                if runs.withLock({ $0[task] += 1; return $0[task] }) > 1 { extra.add(1, ordering: .relaxed) }
            }
            let counts = runs.withLock { $0 }
            if counts[..<tasks].contains(where: { $0 != 1 }) || counts[tasks...].contains(where: { $0 != 0 }) {
                extra.add(1, ordering: .relaxed)
            }
        }
        #expect(extra.load(ordering: .relaxed) == 0)
    }

    /// Runs `windows` measuring windows through a `Choice`, each finishing tasks at the rate
    /// `rate(shared, window)` gives; returns the share of windows run shared and the way chosen last.
    static func simulate(windows: Int, rate: (_ shared: Bool, _ window: Int) -> Double) -> (sharedShare: Double, shared: Bool) {
        var choice = WorkerPool.Choice()
        var now = 1.0, shared = 0
        for window in 0..<windows {
            let tasks = Int(rate(choice.shared, window) * WorkerPool.windowSeconds)
            if choice.shared { shared += 1 }
            // A hair over a window, so that rounding never leaves one open into the next.
            let seconds = WorkerPool.windowSeconds * (1 + 1e-9)
            choice.record(tasks: tasks, start: now, now: now + seconds)
            now += seconds
        }
        return (Double(shared) / Double(windows), choice.shared)
    }

    /// The pool keeps the faster way (sharing out only when it is faster by the margin), probing
    /// the other less and less often while it keeps losing (from every `shortestProbeInterval` windows to
    /// every `longestProbeInterval`), and follows the machine when it changes, within one longest
    /// interval.
    @Test func theMeasuredChoiceKeepsTheFasterWay() {
        let longest = Double(WorkerPool.longestProbeInterval)
        // Sharing out twice as fast (an idle machine): shared, but for the probes, fewer than one
        // window in `longestProbeInterval` once they have backed off.
        let idle = Self.simulate(windows: 2000) { shared, _ in shared ? 2000 : 1000 }
        #expect(idle.shared && idle.sharedShare > 1 - 1.5 / longest)
        #expect(idle.sharedShare < 1)
        // Alone faster (a busy machine): the pool goes alone at its first probe and stays there.
        let busy = Self.simulate(windows: 2000) { shared, _ in shared ? 700 : 1000 }
        #expect(!busy.shared && busy.sharedShare < 1.5 / longest)
        #expect(busy.sharedShare > 0)
        // Sharing out faster, but by less than the margin: the pool keeps to one thread.
        let close = Self.simulate(windows: 2000) { shared, _ in shared ? 1000 * (1 + WorkerPool.sharingMargin) / 2 : 1000 }
        #expect(!close.shared && close.sharedShare < 1.5 / longest)
        // The machine gets busy half-way: shared until the next probe at the latest, then alone.
        let busier = Self.simulate(windows: 2000) { shared, window in window < 1000 ? (shared ? 2000 : 1000) : (shared ? 700 : 1000) }
        #expect(!busier.shared && busier.sharedShare > 0.48 && busier.sharedShare < 0.5 + 1.5 * longest / 2000)
        // And idle again: alone until the next probe at the latest, then shared.
        let idler = Self.simulate(windows: 2000) { shared, window in window < 1000 ? (shared ? 700 : 1000) : (shared ? 2000 : 1000) }
        #expect(idler.shared && idler.sharedShare < 0.52 && idler.sharedShare > 0.5 - 1.5 * longest / 2000)
    }

    /// A pool's usage counts `run`'s time the way it ran: a pool that always shares out has no
    /// time alone, and one thread has nothing to choose.
    @Test func usageCountsTheTimeEachWayRan() {
        let pool = WorkerPool(threads: 2, measured: false)
        for _ in 0..<50 { pool.run(tasks: 2) { _, _ in } }
        #expect(pool.usage.sharedSeconds > 0 && pool.usage.aloneSeconds == 0 && pool.usage.sharedFraction == 1)
        let single = WorkerPool(threads: 1)
        single.run(tasks: 4) { _, _ in }
        #expect(single.usage == WorkerPool.Usage() && single.usage.sharedFraction == nil)
    }
}
