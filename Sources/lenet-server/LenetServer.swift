import ArgumentParser
import Foundation
import LeNet
import LeNetServer
import Support

/// `lenet-server`: the drawing page and the HTTP API. Its own program, so that the training tool
/// never compiles SwiftNIO; `lenet serve ...` runs it with the same arguments.
@main
struct LenetServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lenet-server",
        abstract: "Serve a page to draw a digit and watch LeNet-5 read it, and an HTTP API.",
        usage: "lenet-server [--port <port>] [--checkpoint <model>] [<options>]",
        discussion: """
            Open http://127.0.0.1:8080/ and draw. The page shows the probabilities as you draw, the 28x28 image the network saw and C1's and C3's feature maps; it works offline.

            API:
              POST /api/predict   a PNG, JPEG or PGM/PPM body, or JSON
                                  {"pixels": [784 numbers 0-255]} (28x28, row by
                                  row); answers {"class", "probabilities",
                                  "top", "scores", "box", "reading", "input"},
                                  as lenet predict --json does; ?features=1
                                  adds C1's and C3's feature maps
              POST /api/read      a picture of a number: {"text", "confidence",
                                  "rejected", "digits": [{"class",
                                  "probabilities", "box"}]}, as lenet read
                                  --json does
              GET  /api/model     the model that answers: its architecture,
                                  parameters, checkpoint and test accuracy
              GET  /report        the newest training report (runs/*/report.html)
              GET  /healthz       ok (HEAD too)

            Errors are JSON {"error": "..."} with a 4xx status; bodies over 4 MB
            get 413.

            Examples:
              lenet-server                    the modern model on 127.0.0.1:8080
              lenet-server --checkpoint writeup --port 9000
                                              the write-up's model instead
              curl -s --data-binary @digit.png \\
                   -H 'Content-Type: image/png' \\
                   http://127.0.0.1:8080/api/predict
            """)

    @Option(help: ArgumentHelp("The model: \(ShippedModel.choices).", valueName: "model"))
    var checkpoint: String?

    @Option(help: "The address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: ArgumentHelp("Where the training runs are, for the report link.", valueName: "folder"))
    var runs = "runs"

    @Option(name: .customLong("allow-host"), help: ArgumentHelp(
        "Also answer requests whose Host is this name (repeatable).",
        discussion: "The server answers only to localhost, 127.0.0.1, ::1 and the --host it listens on, so a page elsewhere cannot reach it through a name of its own (DNS rebinding); other Host headers get 421. Listening on 0.0.0.0 with no --allow-host answers any name.",
        valueName: "name"))
    var allowHosts: [String] = []

    /// Refuses an argument that is not UTF-8 before parsing (see `CommandLineText`).
    static func main() async {
        if let message = CommandLineText.argumentNotUTF8() {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            Foundation.exit(64)
        }
        await main(nil)
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
    }

    func run() async throws {
        do {
            let (path, _) = try ShippedModel.resolve(checkpoint)
            let (model, metadata) = try AnyLeNet.load(path)
            var configuration = LeNetServer.Configuration(model: model, metadata: metadata, checkpoint: path, runsFolder: runs)
            configuration.allowedHosts = Set(allowHosts)
            if let numbers = ShippedModel.numbers.path { configuration.numberReader = try Reader(checkpoint: numbers) }
            Self.stopWithin(configuration.limits.shutdownGrace + .seconds(1.5))
            let host = self.host
            try await LeNetServer.run(configuration, host: host, port: port) { port in
                print("Serving \(model.kind) from \(path) at http://\(host):\(port)/ (Ctrl-C stops)")
                fflush(nil)
            }
            print("Stopped.")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The last resort after SIGTERM or SIGINT: the server's own shutdown cuts off requests still in
    /// progress after its grace period; should anything still hold it past `limit`, the process ends.
    static func stopWithin(_ limit: Duration) {
        let queue = DispatchQueue(label: "stop-watch")
        for signal in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler {
                queue.asyncAfter(deadline: .now() + .milliseconds(Int(limit.components.seconds * 1000))) {
                    print("Stopped (requests still open were cut off).")
                    fflush(nil)
                    Glibc.exit(0)
                }
            }
            source.resume()
            Self.signalSources.append(source)
        }
    }
    nonisolated(unsafe) static var signalSources: [any DispatchSourceSignal] = []
}
