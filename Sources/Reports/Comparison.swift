import Foundation

/// The ways this project trains LeNet-5 on MNIST, side by side, as measured on one machine
/// (docs/RESULTS.md, "Accuracy: four recipes"): a report shows its own run among them.
public struct RecipeComparison: Sendable {
    public struct Entry: Sendable, Equatable {
        /// What it is, in a few words.
        public var name: String
        /// The test error: the mean over `seeds`, each seed's in `detail`.
        public var testError: Double
        public var detail: String
        /// Training time of one run, whole command, on the machine of the measurements.
        public var time: String
        public var parameters: Int
        public var command: String
    }

    /// The rows, best last.
    public var entries: [Entry]
    /// The row this run follows, if any.
    public var highlighted: Int?
    /// This run's test error.
    public var runError: Double

    public init(entries: [Entry] = RecipeComparison.mnist, highlighted: Int?, runError: Double) {
        self.entries = entries
        self.highlighted = highlighted
        self.runError = runError
    }

    /// Measured 2026-12-02 on a 2-core AMD EPYC Zen 4 with this code (the write-up's network's rows
    /// again on 2026-12-03, with F6 and F7 summing with the outputs in the lanes); seeds 0, 1 and 2 each.
    public static let mnist: [Entry] = [
        Entry(name: "The write-up's recipe", testError: 0.0211, detail: "seed 0: 2.11% (the shipped model)", time: "9-11 s",
              parameters: 44_426, command: "lenet train"),
        Entry(name: "1998 LeNet-5, faithful", testError: 0.009067, detail: "seeds 0-2: 0.93, 0.98, 0.81% (the paper: 0.95%)", time: "89 s",
              parameters: 60_000, command: "lenet train --model lenet5-1998"),
        Entry(name: "1998 LeNet-5, distortions", testError: 0.007067, detail: "seeds 0-2: 0.62, 0.67, 0.83% (the paper: 0.8%)", time: "122 s",
              parameters: 60_000, command: "lenet train --model lenet5-1998 --distort"),
        Entry(name: "Modern recipe, write-up's network", testError: 0.004267, detail: "seeds 0-2: 0.40, 0.49, 0.39%", time: "8 s",
              parameters: 44_426, command: "lenet train --recipe modern"),
    ]

    /// Which row a run follows, from its model's metadata: the model kind, and "recipe" and
    /// "distortions" when set. Nil for a run on another data set.
    public static func entry(model: String, metadata: [String: String]) -> Int? {
        guard (metadata["dataset"] ?? "mnist") == "mnist" else { return nil }
        if model == "lenet5-1998" { return metadata["distortions"] == nil ? 1 : 2 }
        return metadata["recipe"] == "modern" ? 3 : 0
    }
}

extension Report {
    func comparisonMarkdown(_ comparison: RecipeComparison) -> String {
        var md = "\n## Where this run stands\n\nMNIST, the four ways this project trains LeNet-5 (docs/RESULTS.md); this run's row is marked.\n\n"
        md += "| recipe | test error | seeds | training time | parameters | command |\n|---|---:|---|---:|---:|---|\n"
        for (index, entry) in comparison.entries.enumerated() {
            md += "| \(entry.name) | \(percent(entry.testError)) | \(entry.detail) | \(entry.time) | \(entry.parameters) | `\(entry.command)` |\n"
            if index == comparison.highlighted {
                md += "| **this run** | **\(percent(comparison.runError))** | | | | |\n"
            }
        }
        return md
    }

    func comparisonHTML(_ comparison: RecipeComparison) -> String {
        var h = "<h2>Where this run stands</h2><p class=\"muted\">MNIST, the four ways this project trains LeNet-5, measured on one machine (docs/RESULTS.md). Test error is the mean of the seeds shown.</p>"
        h += "<div class=\"card scroll\"><table><tr><th class=\"left\">recipe</th><th>test error</th><th class=\"left\">seeds</th><th>training</th><th>parameters</th><th class=\"left\">command</th></tr>"
        for (index, entry) in comparison.entries.enumerated() {
            h += "<tr><td class=\"left\">\(Self.escape(entry.name))</td><td>\(percent(entry.testError))</td><td class=\"left small\">\(Self.escape(entry.detail))</td>"
                + "<td>\(entry.time)</td><td>\(entry.parameters)</td><td class=\"left\"><code>\(Self.escape(entry.command))</code></td></tr>"
            if index == comparison.highlighted {
                h += "<tr><td class=\"left pick\">this run</td><td class=\"pick\">\(percent(comparison.runError))</td><td></td><td></td><td></td><td></td></tr>"
            }
        }
        return h + "</table></div>\n"
    }
}
