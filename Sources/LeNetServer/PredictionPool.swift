import Foundation

/// The threads that decode pictures and run the model for the server: a fixed number of threads of
/// their own (not Swift's cooperative pool, which answers every other request), and a bounded queue
/// in front of them. When every thread is busy and the queue is full, `run` refuses at once (the
/// server answers 503 with Retry-After), so a burst of heavy uploads can delay predictions but never
/// `/healthz`, the page, or the memory bound.
public final class PredictionPool: @unchecked Sendable {
    /// Why a job was not taken.
    public struct Busy: Error, CustomStringConvertible {
        /// The message to show.
        public var description: String { "every prediction thread is busy and the queue is full; try again shortly" }
    }

    /// Threads that run jobs.
    public let threads: Int
    /// Jobs that may wait for a thread; past it, `run` throws `Busy`.
    public let queueLimit: Int
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var busy = 0
    private var stopping = false

    /// `threads` workers (at least 1) and up to `queueLimit` jobs waiting for one.
    public init(threads: Int, queueLimit: Int) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        for _ in 0..<self.threads {
            let thread = Thread { self.work() }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Jobs waiting and jobs running, now.
    public var load: (waiting: Int, running: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (jobs.count - head, busy)
    }

    /// Runs `job` on one of the pool's threads and returns its result, or throws `Busy` at once when
    /// the pool is full.
    public func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            condition.lock()
            guard !stopping, busy + (jobs.count - head) < threads + queueLimit else {
                condition.unlock()
                continuation.resume(throwing: Busy())
                return
            }
            jobs.append { continuation.resume(with: Result { try job() }) }
            condition.signal()
            condition.unlock()
        }
    }

    /// Whether the calling thread is one of a pool's.
    public static var isPoolThread: Bool { Thread.current.threadDictionary[poolThreadKey] != nil }
    private static let poolThreadKey = "lenet.prediction-pool"

    private func work() {
        Thread.current.threadDictionary[Self.poolThreadKey] = true
        while true {
            condition.lock()
            while head == jobs.count, !stopping { condition.wait() }
            if head == jobs.count, stopping {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 64, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            busy += 1
            condition.unlock()
            job()
            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }

    /// Lets the threads end once the queue is empty; later jobs are refused.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
