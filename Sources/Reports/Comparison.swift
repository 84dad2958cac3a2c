import Foundation

/// The LeNet family on MNIST, each kind trained the ways this project trains it, as measured
/// (docs/RESULTS.md): a report shows its own run among them. The rows come from the model kinds
/// (`MeasuredResult` in LeNet); `Runs` builds the table.
public struct RecipeComparison: Sendable {
    /// One row: a kind trained one way.
    public struct Entry: Sendable, Equatable {
        /// What it is, in a few words.
        public var name: String
        /// The test error: the mean over `seeds`, each seed's in `detail`.
        public var testError: Double
        /// Each seed's error, and the paper's where it has one.
        public var detail: String
        /// Training time of one run, whole command, on the machine of the measurements.
        public var time: String
        /// Trainable parameters.
        public var parameters: Int
        /// The command that trains it: "lenet train --model lenet5-1998".
        public var command: String
        /// The runs it stands for: the model kind, the metadata's "recipe", and whether they were
        /// trained on distortions.
        public var model: String
        /// The metadata's "recipe" of the runs it stands for ("modern" or nil).
        public var recipe: String?
        /// Whether those runs were trained on distortions.
        public var distortions: Bool

        /// A row; see the properties.
        public init(name: String, testError: Double, detail: String, time: String, parameters: Int, command: String,
                    model: String, recipe: String?, distortions: Bool) {
            self.name = name
            self.testError = testError
            self.detail = detail
            self.time = time
            self.parameters = parameters
            self.command = command
            self.model = model
            self.recipe = recipe
            self.distortions = distortions
        }
    }

    /// The rows, in the paper's order.
    public var entries: [Entry]
    /// The row this run follows, if any.
    public var highlighted: Int?
    /// This run's test error.
    public var runError: Double

    /// The table of `entries`, with `highlighted` the row this run follows and `runError` its error.
    public init(entries: [Entry], highlighted: Int?, runError: Double) {
        self.entries = entries
        self.highlighted = highlighted
        self.runError = runError
    }

    /// Which row of `entries` a run follows, from its model's metadata: the model kind, and
    /// "recipe" and "distortions" when set. Nil for a run on another data set, or of no row.
    public static func entry(in entries: [Entry], model: String, metadata: [String: String]) -> Int? {
        guard (metadata["dataset"] ?? "mnist") == "mnist" else { return nil }
        return entries.firstIndex {
            $0.model == model && $0.recipe == metadata["recipe"] && $0.distortions == (metadata["distortions"] != nil)
        }
    }
}

extension Report {
    func comparisonMarkdown(_ comparison: RecipeComparison) -> String {
        var md = "\n## Where this run stands\n\nMNIST, the LeNet family as this project trains it (docs/RESULTS.md); this run's row is marked.\n\n"
        md += "| model | test error | seeds | training time | parameters | command |\n|---|---:|---|---:|---:|---|\n"
        for (index, entry) in comparison.entries.enumerated() {
            md += "| \(entry.name) | \(percent(entry.testError)) | \(entry.detail) | \(entry.time) | \(entry.parameters) | `\(entry.command)` |\n"
            if index == comparison.highlighted {
                md += "| **this run** | **\(percent(comparison.runError))** | | | | |\n"
            }
        }
        return md
    }

    func comparisonHTML(_ comparison: RecipeComparison) -> String {
        var h = "<h2>Where this run stands</h2><p class=\"muted\">MNIST, the LeNet family as this project trains it (docs/RESULTS.md). Test error is the mean of the seeds shown.</p>"
        h += "<div class=\"card scroll\"><table><tr><th class=\"left\">model</th><th>test error</th><th class=\"left\">seeds</th><th>training</th><th>parameters</th><th class=\"left\">command</th></tr>"
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
