import Foundation

/// The signal that asked the run to stop (0: none), set by the signal handler, read after each batch.
nonisolated(unsafe) private var receivedSignal: Int32 = 0

/// Ctrl-C (SIGINT) and SIGTERM while training: instead of dying, the run is asked to stop after
/// the batch in progress, so that it can save where it was. A second signal quits at once.
public final class StopSignal: Sendable {
    /// A stop signal not yet installed.
    public init() {}

    /// Whether SIGINT or SIGTERM has arrived since `install()`.
    public var requested: Bool { receivedSignal != 0 }
    /// The name of the signal that arrived, for the message that says why the run stopped.
    public var signalName: String { receivedSignal == SIGTERM ? "SIGTERM" : "SIGINT" }

    /// Catches SIGINT and SIGTERM: the first sets `requested` (and says so on standard error), a
    /// second quits at once with status 128 + its number.
    public func install() {
        receivedSignal = 0
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                if receivedSignal != 0 { _exit(128 + number) }
                receivedSignal = number
                // Only async-signal-safe calls here: a static string and write(2).
                let message: StaticString = "\nStopping after this batch to save the run's state (press Ctrl-C again to quit at once)\n"
                message.withUTF8Buffer { _ = write(2, $0.baseAddress, $0.count) }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(number, &action, nil)
        }
    }

    /// Gives SIGINT and SIGTERM back their default action (quit at once).
    public func uninstall() {
        Foundation.signal(SIGINT, SIG_DFL)
        Foundation.signal(SIGTERM, SIG_DFL)
    }
}
