import Foundation
import TestFolders
import Hummingbird
import Datasets
import Imaging
import LeNet
@testable import LeNetServer
import Logging
import LoopbackHTTP
import ServiceLifecycle
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Every route and every bad input of the server, over a live server on 127.0.0.1 and a raw HTTP
/// client (LoopbackHTTP), so every byte of each request is the test's.
@Suite struct ServerTests {
    static let configuration: LeNetServer.Configuration = {
        let path = repositoryRoot + "/models/lenet5-mnist.safetensors"
        let (model, metadata) = try! AnyLeNet.load(path)
        return .init(model: model, metadata: metadata, checkpoint: path, runsFolder: "/nonexistent-runs")
    }()

    /// Runs `body` against a live server on a free port of 127.0.0.1, then stops the server.
    static func withServer<T: Sendable>(runs: String = "/nonexistent-runs", host: String = "127.0.0.1",
                                        configure: (inout LeNetServer.Configuration) -> Void = { _ in },
                                        _ body: (Int) async throws -> T) async throws -> T {
        var configuration = Self.configuration
        configuration.runsFolder = runs
        configure(&configuration)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = LeNetServer.application(configuration, host: host, port: 0, logLevel: .critical) { port in
            continuation.yield(port)
        }
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let result: Result<T, any Error>
        do { result = .success(try await body(port)) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        try await server.value
        return try result.get()
    }

    /// The first test digit of MNIST (a 7), white on black, 28x28.
    static let seven: [UInt8] = {
        let images = try! MNIST.load(.test, root: repositoryRoot + "/data")
        return Array(images.image(0))
    }()

    static func json(_ response: HTTPAnswer) throws -> [String: Any] {
        try #require(response.json)
    }

    static func errorMessage(_ response: HTTPAnswer) throws -> String {
        #expect(response.headers["content-type"] == "application/json")
        return try #require(try json(response)["error"] as? String)
    }

    @Test func thePageAndItsFilesAreServed() async throws {
        try await Self.withServer { port in
            for (path, type, marker) in [("/", "text/html", "<canvas id=\"pad\""), ("/app.js", "text/javascript", "pointerdown"),
                                         ("/style.css", "text/css", "#pad"), ("/healthz", "text/plain", "ok")] {
                let response = try await LoopbackClient.fetch(port: port, path: path)
                #expect(response.status == 200, "\(path)")
                #expect(response.headers["content-type"]?.hasPrefix(type) == true, "\(path)")
                #expect(response.text.contains(marker), "\(path)")
            }
            // Nothing is fetched from elsewhere: no http(s) URL in the page, script or style.
            for path in ["/", "/app.js", "/style.css"] {
                let text = try await LoopbackClient.fetch(port: port, path: path).text
                #expect(!text.contains("http://") && !text.contains("https://"), "\(path)")
            }
            #expect(try await LoopbackClient.fetch(port: port, path: "/nowhere").status == 404)
        }
    }

    @Test func theModelIsDescribed() async throws {
        try await Self.withServer { port in
            let response = try await LoopbackClient.fetch(port: port, path: "/api/model")
            #expect(response.status == 200)
            let model = try Self.json(response)
            #expect(model["kind"] as? String == "lenet5")
            #expect(model["parameters"] as? Int == 44_426)
            #expect(model["testAccuracy"] as? Double == 0.9789)
            #expect((model["layers"] as? [[String: Any]])?.count == 7)
            #expect((model["metadata"] as? [String: String])?["seed"] == "0")
        }
    }

    @Test func aPNGDigitIsRead() async throws {
        // The 7 drawn large, black on white, off-centre, as a drawing page would send it.
        var pixels = [UInt8](repeating: 255, count: 200 * 160)
        for y in 0..<(28 * 4) { for x in 0..<(28 * 4) { pixels[(y + 20) * 200 + x + 50] = 255 - Self.seven[(y / 4) * 28 + x / 4] } }
        let png = try PNG.encode(Image(width: 200, height: 160, channels: 1, pixels: pixels))
        try await Self.withServer { port in
            let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict?features=1",
                                                          headers: ["Content-Type": "image/png"], body: png)
            #expect(response.status == 200)
            let answer = try Self.json(response)
            #expect(answer["class"] as? Int == 7)
            let probabilities = try #require(answer["probabilities"] as? [Double])
            #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-9 && probabilities[7] > 0.9)
            #expect((answer["scores"] as? [Double])?.count == 10)
            #expect(answer["scoreName"] as? String == "logits" && answer["name"] as? String == "7")
            #expect((answer["top"] as? [[String: Any]])?.first?["class"] as? Int == 7)
            #expect((answer["input"] as? [Int])?.count == 784)
            let maps = try #require(answer["featureMaps"] as? [String: [String: Any]])
            #expect(maps["c1"]?["count"] as? Int == 6 && (maps["c1"]?["values"] as? [Double])?.count == 6 * 24 * 24)
            #expect(maps["c3"]?["count"] as? Int == 16 && (maps["c3"]?["values"] as? [Double])?.count == 16 * 8 * 8)
            // Without ?features=1 (and without a Content-Type), no feature maps.
            let plain = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict", body: png)
            #expect(plain.status == 200)
            #expect(try Self.json(plain)["featureMaps"] == nil)
        }
    }

    @Test func aNumberIsRead() async throws {
        let png = try [UInt8](#require(FileManager.default.contents(atPath: repositoryRoot + "/samples/number.png")))
        try await Self.withServer(configure: { $0.numberReader = try? Reader.shipped(.numbers) }) { port in
            let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/read",
                                                          headers: ["Content-Type": "image/png"], body: png)
            #expect(response.status == 200)
            let answer = try Self.json(response)
            #expect(answer["text"] as? String == "88124" && answer["rejected"] as? Bool == false)
            #expect((answer["digits"] as? [[String: Any]])?.count == 5)
            // No digits: an empty text, not an error; not a picture: the same 400 as /api/predict.
            let blank = try PNG.encode(Image(width: 64, height: 32, channels: 1, pixels: [UInt8](repeating: 255, count: 64 * 32)))
            let empty = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/read", headers: ["Content-Type": "image/png"], body: blank)
            #expect(empty.status == 200)
            #expect(try Self.json(empty)["text"] as? String == "")
            let bad = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/read", headers: ["Content-Type": "image/png"], body: Array("garbage".utf8))
            #expect(bad.status == 400)
            #expect(try Self.errorMessage(bad).contains("not an image"))
        }
    }

    @Test func jsonPixelsAreRead() async throws {
        let body = "{\"pixels\": [" + Self.seven.map(String.init).joined(separator: ",") + "]}"
        try await Self.withServer { port in
            let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict",
                                                          headers: ["Content-Type": "application/json"], body: Array(body.utf8))
            #expect(response.status == 200)
            #expect(try Self.json(response)["class"] as? Int == 7)
        }
    }

    @Test func badInputsGetA4xxWithAJSONErrorThatSaysWhatWasWrong() async throws {
        let png = try PNG.encode(Image(width: 10, height: 10, channels: 1, pixels: (0..<100).map { UInt8($0) }))
        let blank = try PNG.encode(Image(width: 10, height: 10, channels: 1, pixels: [UInt8](repeating: 200, count: 100)))
        let cases: [(String, String, [UInt8], Int, String)] = [
            ("empty body", "image/png", [], 400, "the body is empty"),
            ("not a PNG", "image/png", Array("hello, world".utf8), 400, "not an image this tool reads"),
            ("a truncated PNG", "image/png", Array(png.prefix(40)), 400, "truncated PNG"),
            ("a corrupt PNG", "image/png", png.enumerated().map { $0.offset == 45 ? $0.element ^ 0xff : $0.element }, 400, "corrupt PNG"),
            ("a blank picture", "image/png", blank, 422, "no ink found: the picture is one shade (grey level 200 of 255 throughout)"),
            ("JSON that is not JSON", "application/json", Array("{pixels: oops".utf8), 400, "not valid JSON"),
            ("JSON without pixels", "application/json", Array("{\"image\": []}".utf8), 400, "the key \"pixels\" is missing"),
            ("the wrong pixel count", "application/json", Array("{\"pixels\": [1, 2, 3]}".utf8), 400, "\"pixels\" has 3 numbers; expected 784"),
            ("a value over 255", "application/json", Array(("{\"pixels\": [" + Array(repeating: "0", count: 783).joined(separator: ",") + ",300]}").utf8),
             400, "\"pixels\"[783] is 300.0; values must be from 0 to 255"),
            ("a negative value", "application/json", Array(("{\"pixels\": [-1" + String(repeating: ",0", count: 783) + "]}").utf8),
             400, "\"pixels\"[0] is -1.0"),
            ("pixels that are not numbers", "application/json", Array("{\"pixels\": [\"a\"]}".utf8), 400, "wrong type at pixels"),
            ("an unsupported content type", "text/plain", Array("7".utf8), 415, "Content-Type text/plain is not accepted"),
        ]
        try await Self.withServer { port in
            for (name, type, body, status, message) in cases {
                let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict",
                                                              headers: ["Content-Type": type], body: body)
                #expect(response.status == status, "\(name)")
                let error = try Self.errorMessage(response)
                #expect(error.contains(message), "\(name): \(error)")
            }
        }
    }

    @Test func bodiesOverFourMegabytesGet413() async throws {
        let big = [UInt8](repeating: 0x42, count: 4 * 1024 * 1024 + 1)
        try await Self.withServer { port in
            let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict",
                                                          headers: ["Content-Type": "image/png"], body: big)
            #expect(response.status == 413)
            #expect(try Self.errorMessage(response).contains("limit"))
            // The server is still there afterwards.
            #expect(try await LoopbackClient.fetch(port: port, path: "/healthz").status == 200)
        }
    }

    @Test func a413ClosesTheConnectionInsteadOfReadingTheRest() async throws {
        try await Self.withServer { port in
            // The head announces 5 MB; the server answers 413 without reading the body, and closes
            // the connection while the client is still sending.
            let closed = try await onOwnThread { () -> Bool in
                let connection = try LoopbackConnection(port: port, timeout: 10)
                try connection.send(Array("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: 5000000\r\n\r\n".utf8))
                let answer = try LoopbackClient.readAnswer(from: connection)
                #expect(answer.status == 413)
                #expect(answer.headers["connection"] == "close")
                // Keep sending: the connection must be closed by the server within a few seconds.
                let sender = Thread { for _ in 0..<50 { if (try? connection.send([UInt8](repeating: 1, count: 100_000))) == nil { return } } }
                sender.start()
                return connection.isClosedByPeer(within: 5)
            }
            #expect(closed)
            #expect(try await LoopbackClient.fetch(port: port, path: "/healthz").status == 200)
        }
    }

    @Test func jsonBodiesOver64KBGet413BeforeTheyAreParsed() async throws {
        let big = Array(("{\"pixels\": [" + String(repeating: "0,", count: 40_000) + "0]}").utf8)
        try await Self.withServer { port in
            let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict",
                                                          headers: ["Content-Type": "application/json"], body: big)
            #expect(response.status == 413)
            #expect(try Self.errorMessage(response).contains("at most 65536 bytes"))
        }
    }

    @Test func aPictureTooLargeToDecodeGets413() async throws {
        var pixels = [UInt8](repeating: 255, count: 200 * 160)
        for n in stride(from: 0, to: pixels.count, by: 7) { pixels[n] = 0 }
        let png = try PNG.encode(Image(width: 200, height: 160, channels: 1, pixels: pixels))
        try await Self.withServer(configure: { $0.limits.maximumDecodedBytes = 100_000 }) { port in
            let response = try await LoopbackClient.fetch(port: port, method: "POST", path: "/api/predict", body: png)
            #expect(response.status == 413)
            #expect(try Self.errorMessage(response).contains("the picture is 200x160 pixels; decoding it would take 128000 bytes, over the limit of 100000 bytes"))
        }
    }

    @Test func otherHostNamesGet421AndNoPathIsShown() async throws {
        try await Self.withServer { port in
            let rebound = try await LoopbackClient.fetch(port: port, path: "/api/model", host: "attacker.example:\(port)")
            #expect(rebound.status == 421)
            #expect(try Self.errorMessage(rebound).contains("not to Host 'attacker.example:\(port)'"))
            for host in ["localhost:\(port)", "127.0.0.1", "[::1]:\(port)"] {
                let answer = try await LoopbackClient.fetch(port: port, path: "/api/model", host: host)
                #expect(answer.status == 200, "\(host)")
                #expect(!answer.text.contains(repositoryRoot), "\(host): the answer shows a path of the machine")
                #expect(try Self.json(answer)["checkpoint"] as? String == "lenet5-mnist.safetensors")
            }
        }
        // A name given with --allow-host is answered too.
        try await Self.withServer(configure: { $0.allowedHosts = ["digits.example"] }) { port in
            let answer = try await LoopbackClient.fetch(port: port, path: "/healthz", host: "digits.example")
            #expect(answer.status == 200)
        }
    }

    /// RFC 9112 (3.2): a request with two Host headers gets 400, whichever names the server, and
    /// whether or not the server checks names at all (listening on every interface).
    @Test func twoHostHeadersGet400() async throws {
        // Listening on 127.0.0.1 (names checked), and on 0.0.0.0 with no --allow-host (any name).
        for host in ["127.0.0.1", "0.0.0.0"] {
            try await Self.withServer(host: host) { port in
                for second in ["attacker.example", "127.0.0.1"] {
                    let answer = try await LoopbackClient.fetch(port: port, path: "/healthz", headers: ["Host": second])
                    #expect(answer.status == 400, "\(host), \(second)")
                    #expect(try Self.errorMessage(answer).contains("more than one Host header"))
                }
                #expect(try await LoopbackClient.fetch(port: port, path: "/healthz").status == 200)
            }
        }
    }

    /// HEAD on /healthz and / answers as GET does, without the body (curl -I, health checkers).
    @Test func headIsAnswered() async throws {
        try await Self.withServer { port in
            for path in ["/healthz", "/"] {
                let (get, head) = try await onOwnThread { () -> (HTTPAnswer, [UInt8]) in
                    let get = try LoopbackClient.request(port: port, path: path)
                    let connection = try LoopbackConnection(port: port, timeout: 10)
                    try connection.send(Array("HEAD \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
                    var bytes: [UInt8] = []
                    while true {
                        let chunk = try connection.receive()
                        if chunk.isEmpty { break }
                        bytes += chunk
                    }
                    return (get, bytes)
                }
                let text = String(decoding: head, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 200"), "\(path): \(text)")
                #expect(text.lowercased().contains("content-length: \(get.body.count)\r\n"), "\(path): \(text)")
                #expect(text.hasSuffix("\r\n\r\n"), "\(path): a HEAD answer has no body")
            }
        }
    }

    /// `Expect: 100-continue` gets `100 Continue` before the body is sent (curl waits a second for
    /// it before sending any body over 1 MB); a body over the limit gets 413 instead, unsent.
    @Test func expectContinueIsAnswered() async throws {
        let png = try PNG.encode(Image(width: 28, height: 28, channels: 1, pixels: Self.seven.map { 255 - $0 }))
        try await Self.withServer { port in
            let (interim, final) = try await onOwnThread { () -> (String, HTTPAnswer) in
                let connection = try LoopbackConnection(port: port, timeout: 10)
                try connection.send(Array("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nExpect: 100-continue\r\nContent-Length: \(png.count)\r\nConnection: close\r\n\r\n".utf8))
                // The interim answer comes with the body still unsent (a 2 s timeout, not curl's 1 s).
                var interim: [UInt8] = []
                while LoopbackClient.find([13, 10, 13, 10], in: interim) == nil {
                    let chunk = try connection.receive()
                    if chunk.isEmpty { break }
                    interim += chunk
                }
                try connection.send(png)
                return (String(decoding: interim, as: UTF8.self), try LoopbackClient.readAnswer(from: connection))
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            #expect(final.status == 200)
            #expect(try Self.json(final)["class"] as? Int == 7)

            let (refused, text) = try await onOwnThread { () -> (HTTPAnswer, String) in
                let connection = try LoopbackConnection(port: port, timeout: 10)
                try connection.send(Array("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n".utf8))
                let answer = try LoopbackClient.readAnswer(from: connection)
                return (answer, answer.text)
            }
            #expect(refused.status == 413, "\(text)")
        }
    }

    @Test func silentConnectionsAreClosedByTheIdleTimeout() async throws {
        try await Self.withServer(configure: { $0.limits.idleTimeout = .seconds(1) }) { port in
            let (halfHead, stalledBody) = try await onOwnThread { () -> (Bool, Bool) in
                // Half a request head, then nothing.
                let first = try LoopbackConnection(port: port, timeout: 10)
                try first.send(Array("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le".utf8))
                // A whole head and 10 bytes of a 1,000-byte body, then nothing.
                let second = try LoopbackConnection(port: port, timeout: 10)
                try second.send(Array("POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n0123456789".utf8))
                return (first.isClosedByPeer(within: 5), second.isClosedByPeer(within: 5))
            }
            #expect(halfHead)
            #expect(stalledBody)
        }
    }

    /// /report serves the training report written last, by time, not the folder whose name sorts
    /// last, and never an evaluation's report.
    @Test func theReportLinkServesTheNewestTrainingReport() async throws {
        try await Self.withServer { port in
            let response = try await LoopbackClient.fetch(port: port, path: "/report")
            #expect(response.status == 404)
            #expect(try Self.errorMessage(response).contains("no training report yet"))
        }
        let runs = TestFolders.path("runs")
        defer { try? FileManager.default.removeItem(atPath: runs) }
        // Written in this order, a second apart: the newest training run has the name that sorts first,
        // and after it come an evaluation of photos and a run folder named by hand.
        let folders = [("2026-02-01T00-00-00", "older training", "Training report: lenet5 on mnist"),
                       ("2026-01-01T00-00-00", "newest training", "Training report: lenet1 on mnist"),
                       ("2026-03-01T00-00-00-evaluate", "evaluation", "Evaluation report: photos"),
                       ("zz-by-hand", "other evaluation", "Evaluation report: m.safetensors")]
        for (offset, (name, text, title)) in folders.enumerated() {
            let folder = runs + "/" + name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("# \(title)\n".utf8).write(to: URL(fileURLWithPath: folder + "/report.md"))
            try Data("<html>\(text)</html>".utf8).write(to: URL(fileURLWithPath: folder + "/report.html"))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_800_000_000 + Double(offset))],
                                                  ofItemAtPath: folder + "/report.html")
        }
        try await Self.withServer(runs: runs) { port in
            let response = try await LoopbackClient.fetch(port: port, path: "/report")
            #expect(response.status == 200)
            #expect(response.text == "<html>newest training</html>")
        }
    }
}
