import ArgumentParser
import Foundation

/// `lenet serve`: runs the `lenet-server` program that sits beside this one, with the same arguments.
/// The server is a program of its own so that building `lenet` compiles no web stack.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a page to draw a digit on, and an HTTP API (runs lenet-server).",
        discussion: """
            Runs the lenet-server program built beside lenet, passing every argument on; `lenet serve --help` shows its options once it is built. Build it once with:
              swift build -c release --product lenet-server
            or run it directly with:
              swift run -c release lenet-server [--port 8080] [--checkpoint FILE]
            """)

    @Argument(parsing: .captureForPassthrough, help: "Arguments for lenet-server (--port, --host, --checkpoint, --runs, --help).")
    var arguments: [String] = []

    func run() throws {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let server = me.deletingLastPathComponent().appendingPathComponent("lenet-server").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            // Its own help still answers, with how to build the server for the rest.
            if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) {
                print(Lenet.helpMessage(for: Serve.self, columns: 80))
                return
            }
            let configuration = me.deletingLastPathComponent().lastPathComponent == "debug" ? "debug" : "release"
            printError("""
                error: the web server is a separate program, and \(server) is not built yet. Build it once with
                  swift build -c \(configuration) --product lenet-server
                (about 4 minutes the first time: it compiles SwiftNIO), or run it directly with
                  swift run -c \(configuration) lenet-server \(arguments.joined(separator: " "))
                """)
            throw ExitCode.failure
        }
        fflush(nil)
        let argv = ([server] + arguments).map { strdup($0) } + [nil]
        execv(server, argv)
        printError("error: cannot run \(server): \(String(cString: strerror(errno)))")
        throw ExitCode.failure
    }
}
