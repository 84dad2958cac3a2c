import ArgumentParser
import Foundation
import Runs

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

extension OutputOptions {
    var verbosity: Verbosity { Verbosity(quiet: quiet, verbose: verbose) }
}
