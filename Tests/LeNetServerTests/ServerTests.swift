import Foundation
import Hummingbird
import HummingbirdTesting
import Datasets
import Imaging
import LeNet
@testable import LeNetServer
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Every route and every bad input of `lenet serve`, through Hummingbird's router test framework,
/// and the body limit through a live server on 127.0.0.1.
@Suite struct ServerTests {
    static let configuration: LeNetServer.Configuration = {
        let path = repositoryRoot + "/models/lenet5-mnist.safetensors"
        let (model, metadata) = try! AnyLeNet.load(path)
        return .init(model: model, metadata: metadata, checkpoint: path, runsFolder: "/nonexistent-runs")
    }()

    static func app(runs: String = "/nonexistent-runs") -> some ApplicationProtocol {
        var configuration = Self.configuration
        configuration.runsFolder = runs
        return Application(router: LeNetServer.router(configuration, logRequests: false))
    }

    /// The first test digit of MNIST (a 7), white on black, 28x28.
    static let seven: [UInt8] = {
        let images = try! MNIST.load(.test, root: repositoryRoot + "/data")
        return Array(images.image(0))
    }()

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func errorMessage(_ response: TestResponse) throws -> String {
        #expect(response.headers[.contentType] == "application/json")
        return try #require(try json(response)["error"] as? String)
    }

    @Test func thePageAndItsFilesAreServed() async throws {
        try await Self.app().test(.router) { client in
            for (uri, type, marker) in [("/", "text/html", "<canvas id=\"pad\""), ("/app.js", "text/javascript", "pointerdown"),
                                        ("/style.css", "text/css", "#pad"), ("/healthz", "text/plain", "ok")] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(uri)")
                    #expect(String(buffer: response.body).contains(marker), "\(uri)")
                }
            }
            // Nothing is fetched from elsewhere: no http(s) URL in the page, script or style.
            for uri in ["/", "/app.js", "/style.css"] {
                let text = try await client.execute(uri: uri, method: .get) { String(buffer: $0.body) }
                #expect(!text.contains("http://") && !text.contains("https://"), "\(uri)")
            }
            try await client.execute(uri: "/nowhere", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func theModelIsDescribed() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/api/model", method: .get) { response in
                #expect(response.status == .ok)
                let model = try Self.json(response)
                #expect(model["kind"] as? String == "lenet5")
                #expect(model["parameters"] as? Int == 44_426)
                #expect(model["testAccuracy"] as? Double == 0.9784)
                #expect((model["layers"] as? [[String: Any]])?.count == 7)
                #expect((model["metadata"] as? [String: String])?["seed"] == "0")
            }
        }
    }

    @Test func aPNGDigitIsRead() async throws {
        // The 7 drawn large, black on white, off-centre, as a drawing page would send it.
        var pixels = [UInt8](repeating: 255, count: 200 * 160)
        for y in 0..<(28 * 4) { for x in 0..<(28 * 4) { pixels[(y + 20) * 200 + x + 50] = 255 - Self.seven[(y / 4) * 28 + x / 4] } }
        let png = try PNG.encode(Image(width: 200, height: 160, channels: 1, pixels: pixels))
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/api/predict?features=1", method: .post, headers: [.contentType: "image/png"],
                                     body: ByteBuffer(bytes: png)) { response in
                #expect(response.status == .ok)
                let answer = try Self.json(response)
                #expect(answer["class"] as? Int == 7)
                let probabilities = try #require(answer["probabilities"] as? [Double])
                #expect(probabilities.count == 10 && abs(probabilities.reduce(0, +) - 1) < 1e-9 && probabilities[7] > 0.9)
                #expect((answer["logits"] as? [Double])?.count == 10)
                #expect((answer["input"] as? [Int])?.count == 784)
                let maps = try #require(answer["featureMaps"] as? [String: [String: Any]])
                #expect(maps["c1"]?["count"] as? Int == 6 && (maps["c1"]?["values"] as? [Double])?.count == 6 * 24 * 24)
                #expect(maps["c3"]?["count"] as? Int == 16 && (maps["c3"]?["values"] as? [Double])?.count == 16 * 8 * 8)
            }
            // Without ?features=1, no feature maps.
            try await client.execute(uri: "/api/predict", method: .post, body: ByteBuffer(bytes: png)) { response in
                #expect(response.status == .ok)
                let answer = try Self.json(response)
                #expect(answer["featureMaps"] == nil)
            }
        }
    }

    @Test func jsonPixelsAreRead() async throws {
        let body = "{\"pixels\": [" + Self.seven.map(String.init).joined(separator: ",") + "]}"
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/api/predict", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let answer = try Self.json(response)
                #expect(answer["class"] as? Int == 7)
            }
        }
    }

    @Test func badInputsGetA4xxWithAJSONErrorThatSaysWhatWasWrong() async throws {
        let png = try PNG.encode(Image(width: 10, height: 10, channels: 1, pixels: (0..<100).map { UInt8($0) }))
        let blank = try PNG.encode(Image(width: 10, height: 10, channels: 1, pixels: [UInt8](repeating: 200, count: 100)))
        let cases: [(String, String, [UInt8], HTTPResponse.Status, String)] = [
            ("empty body", "image/png", [], .badRequest, "the body is empty"),
            ("not a PNG", "image/png", Array("hello, world".utf8), .badRequest, "not an image this tool reads"),
            ("a truncated PNG", "image/png", Array(png.prefix(40)), .badRequest, "truncated PNG"),
            ("a corrupt PNG", "image/png", png.enumerated().map { $0.offset == 45 ? $0.element ^ 0xff : $0.element }, .badRequest, "corrupt PNG"),
            ("a blank picture", "image/png", blank, .unprocessableContent, "the image has no ink"),
            ("JSON that is not JSON", "application/json", Array("{pixels: oops".utf8), .badRequest, "not valid JSON"),
            ("JSON without pixels", "application/json", Array("{\"image\": []}".utf8), .badRequest, "the key \"pixels\" is missing"),
            ("the wrong pixel count", "application/json", Array("{\"pixels\": [1, 2, 3]}".utf8), .badRequest, "\"pixels\" has 3 numbers; expected 784"),
            ("a value over 255", "application/json", Array(("{\"pixels\": [" + Array(repeating: "0", count: 783).joined(separator: ",") + ",300]}").utf8),
             .badRequest, "\"pixels\"[783] is 300.0; values must be from 0 to 255"),
            ("a negative value", "application/json", Array(("{\"pixels\": [-1" + String(repeating: ",0", count: 783) + "]}").utf8),
             .badRequest, "\"pixels\"[0] is -1.0"),
            ("pixels that are not numbers", "application/json", Array("{\"pixels\": [\"a\"]}".utf8), .badRequest, "wrong type at pixels"),
            ("an unsupported content type", "text/plain", Array("7".utf8), .unsupportedMediaType, "Content-Type text/plain is not accepted"),
        ]
        try await Self.app().test(.router) { client in
            for (name, type, body, status, message) in cases {
                try await client.execute(uri: "/api/predict", method: .post, headers: [.contentType: type],
                                         body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == status, "\(name)")
                    let error = try Self.errorMessage(response)
                    #expect(error.contains(message), "\(name): \(error)")
                }
            }
        }
    }

    @Test func bodiesOverFourMegabytesGet413FromALiveServer() async throws {
        let big = ByteBuffer(bytes: [UInt8](repeating: 0x42, count: 4 * 1024 * 1024 + 1))
        try await Self.app().test(.live) { client in
            try await client.execute(uri: "/api/predict", method: .post, headers: [.contentType: "image/png"], body: big) { response in
                #expect(response.status == .contentTooLarge)
                let message = try Self.errorMessage(response)
                #expect(message.contains("limit"))
            }
            // The server is still there afterwards.
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func theReportLinkServesTheNewestReport() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/report", method: .get) { response in
                #expect(response.status == .notFound)
                let message = try Self.errorMessage(response)
                #expect(message.contains("no training report yet"))
            }
        }
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: runs) }
        for (name, text) in [("2026-01-01T00-00-00", "old"), ("2026-02-01T00-00-00", "new")] {
            try FileManager.default.createDirectory(atPath: runs + "/" + name, withIntermediateDirectories: true)
            try Data("<html>\(text)</html>".utf8).write(to: URL(fileURLWithPath: runs + "/" + name + "/report.html"))
        }
        try await Self.app(runs: runs).test(.router) { client in
            try await client.execute(uri: "/report", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "<html>new</html>")
            }
        }
    }
}
