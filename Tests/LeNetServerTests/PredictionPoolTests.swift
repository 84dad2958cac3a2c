import Foundation
@testable import LeNetServer
import Testing

/// The prediction pool runs jobs on its own threads and refuses at once when it is full.
@Suite struct PredictionPoolTests {
    @Test func aFullPoolRefusesAtOnceAndTakesJobsAgainWhenFree() async throws {
        let pool = PredictionPool(threads: 1, queueLimit: 1)
        defer { pool.stop() }
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        // One job running (held), one waiting: the pool is full.
        async let first: Int = pool.run { started.signal(); release.wait(); return 1 }
        started.wait()
        async let second: Int = pool.run { 2 }
        while pool.load.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: PredictionPool.Busy.self) { try await pool.run { 3 } }
        release.signal()
        #expect(try await first == 1)
        #expect(try await second == 2)
        #expect(try await pool.run { 4 } == 4)
    }

    @Test func jobsRunOffTheCooperativePool() async throws {
        let pool = PredictionPool(threads: 2, queueLimit: 4)
        defer { pool.stop() }
        let onPoolThread = try await pool.run { PredictionPool.isPoolThread }
        #expect(onPoolThread)
        #expect(!PredictionPool.isPoolThread)
    }
}
