import Foundation

/// A one-line progress bar redrawn in place on a terminal, with log lines printed above it. When
/// standard output is not a terminal (a pipe, a file, CI) it draws nothing, and log lines pass
/// through unchanged.
public final class ProgressBar {
    /// Whether it draws: standard output is a terminal (not "dumb") and the run is not quiet.
    public let enabled: Bool
    private var shown = false
    private var lastDraw = 0.0
    private let width: Int

    /// A bar for this process's standard output; `quiet` turns it off.
    public init(quiet: Bool) {
        enabled = !quiet && isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        var size = winsize()
        width = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 80
    }

    /// Prints a log line (above the bar when there is one).
    public func line(_ text: String) {
        if shown { FileHandle.standardOutput.write(Data("\r\u{1b}[2K".utf8)) }
        print(text)
        fflush(nil)
        shown = false
    }

    /// Draws `label [bar] done/total  details` at most 20 times a second (always when `force`).
    public func update(label: String, done: Int, total: Int, details: String, force: Bool = false) {
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
    public func clear() {
        guard shown else { return }
        FileHandle.standardOutput.write(Data("\r\u{1b}[2K".utf8))
        shown = false
    }

    /// `1:05` or `1:02:03`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
