import Synchronization
import Testing
@testable import Kernels

@Suite struct WorkerPoolTests {
    /// As documented: task t runs on thread t % threads, every time (a caller may keep per-thread
    /// state across the tasks of one thread).
    @Test(arguments: [1, 2, 3, 5])
    func taskTRunsOnThreadTModuloTheThreadCount(threads: Int) {
        let pool = WorkerPool(threads: threads)
        let tasks = 23
        let seen = Mutex([Int](repeating: -1, count: tasks))
        for _ in 0..<20 {
            pool.run(tasks: tasks) { task, thread in
                seen.withLock { $0[task] = thread }
            }
            #expect(seen.withLock { $0 } == (0..<tasks).map { $0 % pool.threadCount })
        }
    }
}
