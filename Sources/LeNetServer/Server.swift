import Foundation
import Hummingbird
import Imaging
import LeNet
import Logging

/// The request context of `lenet serve`: Hummingbird's basic context with a 4 MB upload limit.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: Source) { coreContext = .init(source: source) }
    public var maxUploadSize: Int { LeNetServer.maximumBody }
}

/// `lenet serve`: the drawing page and the HTTP API.
///
///     GET  /              the page (HTML, CSS and JavaScript from the binary, nothing fetched elsewhere)
///     GET  /app.js, /style.css
///     POST /api/predict   a PNG (or PGM/PPM) body, or JSON {"pixels": [784 numbers 0-255]};
///                         ?features=1 adds C1's and C3's feature maps
///     GET  /api/model     the architecture, parameter count, the checkpoint's metadata and test accuracy
///     GET  /report        the newest training report (runs/*/report.html), if there is one
///     GET  /healthz       "ok"
///
/// Every error is JSON, `{"error": "..."}`, with a 4xx status that fits it. The model is an
/// immutable value shared by all requests; a prediction (about 20 us of arithmetic after the image
/// is decoded) runs in the request's task.
public enum LeNetServer {
    public static let maximumBody = 4 * 1024 * 1024

    /// What the server serves.
    public struct Configuration: Sendable {
        public var model: AnyLeNet
        public var metadata: [String: String]
        public var checkpoint: String
        /// Where to look for training reports (runs/*/report.html).
        public var runsFolder: String
        /// What each class is called: the checkpoint's "class_names" (a JSON array), else "0", "1", ...
        public var classNames: [String] { Evaluation.classNames(metadata, classes: model.classes) }
        public init(model: AnyLeNet, metadata: [String: String], checkpoint: String, runsFolder: String = "runs") {
            self.model = model
            self.metadata = metadata
            self.checkpoint = checkpoint
            self.runsFolder = runsFolder
        }
    }

    public static func router(_ configuration: Configuration, logRequests: Bool = true) -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        if logRequests { router.add(middleware: LogRequestsMiddleware(.info)) }
        router.get("/") { _, _ in asset(WebPage.html, type: "text/html; charset=utf-8") }
        router.get("/index.html") { _, _ in asset(WebPage.html, type: "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in asset(WebPage.script, type: "text/javascript; charset=utf-8") }
        router.get("/style.css") { _, _ in asset(WebPage.style, type: "text/css; charset=utf-8") }
        router.get("/healthz") { _, _ in asset("ok\n", type: "text/plain; charset=utf-8") }
        router.get("/api/model") { _, _ in json(ModelDescription(configuration)) }
        router.get("/report") { _, _ in report(in: configuration.runsFolder) }
        let names = configuration.classNames
        router.post("/api/predict") { request, _ in
            await predict(request, model: configuration.model, names: names)
        }
        return router
    }

    /// The application on `host:port`. Requests are logged at the info level (`logLevel`, or else the
    /// environment's LOG_LEVEL: LOG_LEVEL=warning quiets them); `runService()` stops it cleanly on
    /// SIGINT and SIGTERM.
    public static func application(_ configuration: Configuration, host: String, port: Int, logLevel: Logger.Level? = nil,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = Logger(label: "lenet")
        logger.logLevel = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        return Application(router: router(configuration, logRequests: logger.logLevel <= .info),
                    configuration: .init(address: .hostname(host, port: port), serverName: "lenet"),
                    onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                    logger: logger)
    }

    // MARK: - Responses

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorAnswer: Encodable { var error: String }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(ErrorAnswer(error: message), status: status)
    }

    static func report(in folder: String) -> Response {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted(by: >)
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name) + "/report.html"
            if let data = FileManager.default.contents(atPath: path) {
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        return error(.notFound, "no training report yet: `lenet train` or `lenet evaluate` writes \(folder)/<date-time>/report.html")
    }

    // MARK: - /api/model

    struct ModelDescription: Encodable {
        struct Layer: Encodable { var name: String; var output: String; var parameters: Int }
        var kind: String
        var architecture: String
        var layers: [Layer]
        var parameters: Int
        var classNames: [String]
        var checkpoint: String
        var metadata: [String: String]
        var testAccuracy: Double?

        init(_ configuration: LeNetServer.Configuration) {
            kind = configuration.model.kind
            switch configuration.model {
            case .writeup:
                architecture = "The write-up's LeNet-5: conv 1->6 5x5, ReLU, 2x2 sum pooling, conv 6->16 5x5, ReLU, sum pooling, 256->120->84->10"
                layers = LeNet5.summary.map { Layer(name: $0.layer, output: $0.output, parameters: $0.parameters) }
            case .paper:
                architecture = "LeNet-5 as published (LeCun et al. 1998): C1, S2, C3 (Table I), S4, C5, F6, Euclidean RBF output"
                layers = LeNet1998.summary.map { Layer(name: $0.layer, output: $0.output, parameters: $0.parameters) }
            }
            parameters = configuration.model.parameterCount
            classNames = configuration.classNames
            checkpoint = configuration.checkpoint
            metadata = configuration.metadata
            testAccuracy = configuration.metadata["test_accuracy"].flatMap(Double.init)
        }
    }

    // MARK: - /api/predict

    struct Prediction: Encodable {
        var `class`: Int
        /// The class's name ("7", or "Ankle boot" for Fashion-MNIST).
        var name: String
        var probabilities: [Double]
        var logits: [Float]
        /// "logits", or "penalties" for the 1998 model (then `logits` holds the RBF penalties).
        var scoreName: String
        /// The 28x28 image the network saw, row by row, 0-255 (ink 255).
        var input: [UInt8]
        var featureMaps: FeatureMapsAnswer?
    }

    struct FeatureMapsAnswer: Encodable {
        var c1: AnyLeNet.FeatureMaps
        var c3: AnyLeNet.FeatureMaps
    }

    /// What went wrong with a request, said for the client.
    struct BadRequest: Error {
        var status: HTTPResponse.Status
        var message: String
    }

    static func predict(_ request: Request, model: AnyLeNet, names: [String]) async -> Response {
        do {
            let body = try await collect(request)
            let image = try decodeImage(body, contentType: request.headers[.contentType])
            let digit: [UInt8]
            do { digit = try DigitPreprocessing.prepare(image) } catch {
                throw BadRequest(status: .unprocessableContent, message: error.description)
            }
            let reading = model.read(digit)
            let wantsFeatures = request.uri.queryParameters.get("features").map { $0 == "1" || $0 == "true" } ?? false
            // Feature maps rounded to 3 decimals: enough to draw them, a third of the bytes.
            func rounded(_ maps: AnyLeNet.FeatureMaps) -> AnyLeNet.FeatureMaps {
                var copy = maps
                copy.values = maps.values.map { ($0 * 1000).rounded() / 1000 }
                return copy
            }
            return json(Prediction(class: reading.prediction, name: names[reading.prediction], probabilities: reading.probabilities, logits: reading.scores,
                                   scoreName: reading.scoreName, input: digit,
                                   featureMaps: wantsFeatures ? FeatureMapsAnswer(c1: rounded(reading.c1), c3: rounded(reading.c3)) : nil))
        } catch let bad as BadRequest {
            return error(bad.status, bad.message)
        } catch {
            return self.error(.badRequest, "\(error)")
        }
    }

    /// The body, refused with 413 past `maximumBody` bytes (by Content-Length or by counting).
    static func collect(_ request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBody {
            throw BadRequest(status: .contentTooLarge, message: "the body has \(length) bytes; the limit is \(maximumBody) (4 MB)")
        }
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= maximumBody else {
                throw BadRequest(status: .contentTooLarge, message: "the body is over the limit of \(maximumBody) bytes (4 MB)")
            }
            bytes += chunk.readableBytesView
        }
        return bytes
    }

    /// A PNG/PGM/PPM image, or JSON `{"pixels": [784 numbers 0-255]}` (a 28x28 grey image, either
    /// polarity: it is prepared like any picture).
    static func decodeImage(_ body: [UInt8], contentType: String?) throws -> Image {
        guard !body.isEmpty else {
            throw BadRequest(status: .badRequest, message: "the body is empty: send a PNG image, or JSON {\"pixels\": [784 numbers 0-255]}")
        }
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let looksLikeJSON = type == "application/json" || (type.isEmpty && (body.first == UInt8(ascii: "{")))
        if looksLikeJSON {
            do { return try PixelsJSON.decode(body) } catch { throw BadRequest(status: .badRequest, message: error.description) }
        }
        let acceptable = ["", "image/png", "image/x-portable-graymap", "image/x-portable-pixmap", "image/x-portable-bitmap",
                          "image/x-portable-anymap", "application/octet-stream"]
        guard acceptable.contains(type) else {
            throw BadRequest(status: .unsupportedMediaType,
                             message: "Content-Type \(type) is not accepted: send image/png (or a PGM/PPM image), or application/json with {\"pixels\": [...]}")
        }
        do {
            return try ImageFile.decode(body, file: "the request body")
        } catch {
            throw BadRequest(status: .badRequest, message: "\(error)")
        }
    }
}
