import ArgumentParser
import Foundation

/// How much a command prints.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only the accuracy line, the files written and errors: no log lines, no progress bar.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Also print a summary of every epoch or pass (mean loss, time, images per second) and every file written.")
    var verbose = false

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
    }
}

/// A one-line progress bar redrawn in place on a terminal, with log lines printed above it. When
/// standard output is not a terminal (a pipe, a file, CI) it draws nothing, and log lines pass
/// through unchanged.
final class ProgressBar {
    let enabled: Bool
    private var shown = false
    private var lastDraw = 0.0
    private let width: Int

    init(quiet: Bool) {
        enabled = !quiet && isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        var size = winsize()
        width = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 80
    }

    /// Prints a log line (above the bar when there is one).
    func line(_ text: String) {
        if shown { FileHandle.standardOutput.write(Data("\r\u{1b}[2K".utf8)) }
        print(text)
        fflush(nil)
        shown = false
    }

    /// Draws `label [bar] done/total  details` at most 20 times a second (always when `force`).
    func update(label: String, done: Int, total: Int, details: String, force: Bool = false) {
        guard enabled else { return }
        let now = ProcessInfo.processInfo.systemUptime
        guard force || now - lastDraw >= 0.05 else { return }
        lastDraw = now
        let counts = "\(done)/\(total)"
        let fixed = label.count + counts.count + details.count + 6
        let barWidth = max(10, min(40, width - fixed - 1))
        let filled = total > 0 ? min(barWidth, barWidth * done / total) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        var text = "\(label) \(bar) \(counts)  \(details)"
        if text.count >= width { text = String(text.prefix(width - 1)) }
        FileHandle.standardOutput.write(Data(("\r\u{1b}[2K" + text).utf8))
        shown = true
    }

    /// Removes the bar.
    func clear() {
        guard shown else { return }
        FileHandle.standardOutput.write(Data("\r\u{1b}[2K".utf8))
        shown = false
    }

    /// `1:05` or `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// The signal that asked the run to stop (0: none), set by the signal handler, read after each batch.
nonisolated(unsafe) private var receivedSignal: Int32 = 0

/// Ctrl-C (SIGINT) and SIGTERM while training: instead of dying, the run is asked to stop after
/// the batch in progress, so that it can save where it was. A second signal quits at once.
final class StopSignal: Sendable {
    var requested: Bool { receivedSignal != 0 }
    var signalName: String { receivedSignal == SIGTERM ? "SIGTERM" : "SIGINT" }

    func install() {
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

    func uninstall() {
        Foundation.signal(SIGINT, SIG_DFL)
        Foundation.signal(SIGTERM, SIG_DFL)
    }
}
