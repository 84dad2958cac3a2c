import Kernels
import Testing
@testable import Runs

@Suite struct ThreadNoteTests {
    static func usage(threads: Int, shared: Double, alone: Double) -> WorkerPool.Usage {
        var usage = WorkerPool.Usage()
        usage.threads = threads
        usage.sharedSeconds = shared
        usage.aloneSeconds = alone
        return usage
    }

    /// The closing line says how much of the training ran on one thread, from a tenth up, and says
    /// nothing for a run that shared out (nearly) throughout or had no choice to make.
    @Test func theRunSaysWhenItsThreadsStoodAside() {
        #expect(TrainingRun.threadNote(Self.usage(threads: 2, shared: 0.8, alone: 9.2))?
            .hasPrefix("On 2 threads, 92% of the training ran on one, where sharing out measured no gain") == true)
        #expect(TrainingRun.threadNote(Self.usage(threads: 2, shared: 9.5, alone: 0.5)) == nil)
        #expect(TrainingRun.threadNote(Self.usage(threads: 4, shared: 0, alone: 3))?.hasPrefix("On 4 threads, 100%") == true)
        #expect(TrainingRun.threadNote(WorkerPool.Usage()) == nil)
    }
}
