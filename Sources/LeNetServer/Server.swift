import NeuralNetwork
import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Imaging
import LeNet
import Logging
import NIOCore
import NIOHTTPTypes
import ServiceLifecycle
import Support

/// The request context of the server: Hummingbird's basic context, the upload limit, and a way to
/// stop reading a connection whose body is refused (so the rest of it is never read, and the
/// connection closes after the answer).
public struct ServerContext: RequestContext {
    /// Hummingbird's own context.
    public var coreContext: CoreRequestContextStorage
    let stopReading: @Sendable () -> Void
    /// The context of one request on `source`'s connection.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        // Nothing more of the connection is read (what the client still sends waits in the kernel's
        // buffer, a few MB at most, until the window closes); the answer is written, and half a
        // second later the connection is closed whatever is still coming, so a client reading as
        // it sends has the answer before the reset.
        stopReading = {
            channel.close(mode: .input, promise: nil)
            channel.eventLoop.scheduleTask(in: .milliseconds(500)) { channel.close(promise: nil) }
        }
    }
    /// Hummingbird's own collection limit (unused: bodies are read by `Predictor.collect`, under `Limits`).
    public var maxUploadSize: Int { 4 << 20 }
}

/// The server: the drawing page and the HTTP API.
///
///     GET  /              the page (HTML, CSS and JavaScript from the binary, nothing fetched elsewhere)
///     GET  /app.js, /style.css
///     POST /api/predict   a PNG, JPEG or PGM/PPM body, or JSON {"pixels": [784 numbers 0-255]};
///                         the answer as `AnswerJSON` gives it; ?features=1 adds C1's and C3's feature maps
///     POST /api/read      a PNG, JPEG or PGM/PPM body: the number in it as `NumberJSON` gives it,
///                         under the same bounds as /api/predict
///     GET  /api/model     the architecture, parameter count, the checkpoint's metadata and test accuracy
///     GET  /report        the newest training report (runs/*/report.html), if there is one
///     GET  /healthz       "ok"
///
/// Every error is JSON, `{"error": "..."}`, with a status that fits it. The model is an immutable
/// value shared by all requests. Pictures are decoded, prepared and read on the prediction pool's
/// own threads, never on the cooperative pool that answers everything else, so one client's
/// uploads cannot stall `/healthz` or the page; everything a hostile client can make the server
/// hold is bounded (see `Limits`).
public enum LeNetServer {
    /// Every bound the server keeps, with its default.
    public struct Limits: Sendable {
        /// The largest picture body (413 past it, read no further).
        public var maximumBody = 4 << 20
        /// The largest JSON body (413 past it, before it is parsed).
        public var maximumJSONBody = 64 << 10
        /// What one decoded picture may take in memory: about 14 Mpx of grey (11 Mpx with
        /// transparency). Larger pictures get 413 before they are decoded.
        public var maximumDecodedBytes = 56 << 20
        /// Bodies being received, all requests together (503 past it).
        public var maximumBodiesInFlight = 96 << 20
        /// A connection that sends nothing (no header, no body bytes) for this long is closed.
        public var idleTimeout: Duration = .seconds(10)
        /// A body must have arrived whole within this many seconds of its first byte (408 past it).
        public var bodyDeadline: Double = 30
        /// Open connections at most; past it, new ones wait in the listen queue.
        public var maximumConnections = 4096
        /// The listen queue.
        public var backlog = 4096
        /// Threads that decode and predict, and jobs that may wait for them (503 past it). Waiting
        /// bodies count in `maximumBodiesInFlight` until they are answered, so the queue's memory is
        /// bounded by it.
        public var predictionThreads = ProcessInfo.processInfo.activeProcessorCount
        /// Jobs that may wait for a prediction thread (503 past it).
        public var predictionQueue = 256
        /// After SIGTERM or SIGINT: how long requests in progress may go on before they are cut off.
        public var shutdownGrace: Duration = .seconds(3)
        /// The defaults above.
        public init() {}
    }

    /// What the server serves.
    public struct Configuration: Sendable {
        /// The model that answers `/api/predict`.
        public var model: AnyLeNet
        /// The checkpoint's metadata, shown by `/api/model`.
        public var metadata: [String: String]
        /// The checkpoint's path, shown by `/api/model`.
        public var checkpoint: String
        /// Where to look for training reports (runs/*/report.html).
        public var runsFolder: String
        /// The bounds the server keeps.
        public var limits = Limits()
        /// Host names the server answers to, besides localhost, 127.0.0.1 and ::1 (and the address it
        /// listens on, when that is a name or a single address). Any other Host header gets 421: a
        /// page elsewhere cannot reach the server through a name of its own (DNS rebinding).
        public var allowedHosts: Set<String> = []
        /// What reads numbers for `/api/read` (the shipped numbers model, by default); without it,
        /// the model that reads digits does.
        public var numberReader: Reader?
        /// What each class is called: the checkpoint's "class_names" (a JSON array), else "0", "1", ...
        public var classNames: [String] { Evaluation.classNames(metadata, classes: model.classes) }
        /// Serves `model`, loaded from `checkpoint` with `metadata`; reports are looked for in `runsFolder`.
        public init(model: AnyLeNet, metadata: [String: String], checkpoint: String, runsFolder: String = "runs") {
            self.model = model
            self.metadata = metadata
            self.checkpoint = checkpoint
            self.runsFolder = runsFolder
        }
    }

    /// The server's routes (see `LeNetServer`) for `configuration`; `host` is the address it listens on,
    /// for the Host check, and `logRequests` logs every request.
    public static func router(_ configuration: Configuration, listeningOn host: String = "127.0.0.1",
                              logRequests: Bool = true) -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        if logRequests { router.add(middleware: LogRequestsMiddleware(.info)) }
        router.add(middleware: HostCheck(allowed: HostCheck.names(listeningOn: host, extra: configuration.allowedHosts)))
        router.get("/") { _, _ in asset(WebPage.html, type: "text/html; charset=utf-8") }
        router.get("/index.html") { _, _ in asset(WebPage.html, type: "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in asset(WebPage.script, type: "text/javascript; charset=utf-8") }
        router.get("/style.css") { _, _ in asset(WebPage.style, type: "text/css; charset=utf-8") }
        router.get("/healthz") { _, _ in asset("ok\n", type: "text/plain; charset=utf-8") }
        // HEAD: the GET's headers, no body (health checkers and `curl -I` ask so).
        router.head("/healthz") { _, _ in headers(of: asset("ok\n", type: "text/plain; charset=utf-8")) }
        router.head("/") { _, _ in headers(of: asset(WebPage.html, type: "text/html; charset=utf-8")) }
        router.get("/api/model") { _, _ in json(ModelDescription(configuration)) }
        router.get("/report") { _, _ in report(in: configuration.runsFolder) }
        let predictor = Predictor(reader: Reader(model: configuration.model, metadata: configuration.metadata, checkpoint: configuration.checkpoint),
                                  limits: configuration.limits)
        router.post("/api/predict") { request, context in
            await predictor.answer(request, context: context)
        }
        let numbers = configuration.numberReader ?? predictor.reader
        router.post("/api/read") { request, context in
            await predictor.answer(request, context: context, number: numbers)
        }
        return router
    }

    /// The application on `host:port`, with the limits' timeouts, connection cap and listen queue.
    /// Requests are logged at the info level (`logLevel`, or else the environment's LOG_LEVEL:
    /// LOG_LEVEL=warning quiets them).
    public static func application(_ configuration: Configuration, host: String, port: Int, logLevel: Logger.Level? = nil,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = Logger(label: "lenet")
        logger.logLevel = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let limits = configuration.limits
        let idle = TimeAmount.nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000
                                          + limits.idleTimeout.components.attoseconds / 1_000_000_000)
        let maximumBody = limits.maximumBody
        return Application(router: router(configuration, listeningOn: host, logRequests: logger.logLevel <= .info),
                           server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinue(maximumBody: maximumBody)],
                                                               idleTimeout: idle)),
                           configuration: .init(address: .hostname(host, port: port), serverName: "lenet", backlog: limits.backlog,
                                                availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections)),
                           onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    /// Runs the server until SIGTERM or SIGINT. Then it stops taking connections, lets requests in
    /// progress finish for the limits' grace period, and cuts off what is left (a stalled upload,
    /// say), so a stop never waits on a client.
    public static func run(_ configuration: Configuration, host: String, port: Int,
                           onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var configuration = configuration
        configuration.limits.maximumConnections = allowOpenFiles(for: configuration.limits.maximumConnections)
        let app = application(configuration, host: host, port: port, onServerRunning: onServerRunning)
        var logger = Logger(label: "lenet")
        logger.logLevel = .warning
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.limits.shutdownGrace
        group.maximumCancellationDuration = .seconds(1)
        try await ServiceGroup(configuration: group).run()
    }

    /// Raises the process's soft limit on open files towards its hard limit, so that the connection
    /// cap, not the system's default of 1,024 files, bounds the connections; returns the cap that
    /// fits the limit (64 files kept for everything else).
    static func allowOpenFiles(for connections: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return connections }
        let wanted = rlim_t(connections + 64)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = min(wanted, limit.rlim_max)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return max(16, min(connections, Int(limit.rlim_cur) - 64))
    }

    // MARK: - Responses

    /// A GET's answer as HEAD gives it: its status and headers with the length of its body, and no body.
    static func headers(of response: Response) -> Response {
        var head = Response(status: response.status, headers: response.headers, body: .init())
        if let length = response.body.contentLength { head.headers[.contentLength] = String(length) }
        return head
    }

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

    /// The newest training report: of the `<folder>/*/report.html` whose report.md says it is a
    /// training run's, the one written last. An evaluation's report (of a photo folder, of the shipped
    /// model) is not one, whatever its folder is called.
    static func report(in folder: String) -> Response {
        let heading = Array("# Training report".utf8)
        let newest = Files.newest("report.html", inRunsOf: folder) { run in
            (try? Files.readStart(run + "/report.md", count: heading.count)) == heading
        }
        // A regular file only, and not past 64 MB: a FIFO or a link to a device there is skipped.
        if let newest, let data = try? Files.read(newest, maximumBytes: 64 << 20) {
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return error(.notFound, "no training report yet: `lenet train` writes \(folder)/<date-time>/report.html")
    }

    // MARK: - /api/model

    struct ModelDescription: Encodable {
        struct Layer: Encodable { var name: String; var output: String; var parameters: Int }
        var kind: String
        /// The kind as a person calls it: "The write-up's LeNet-5".
        var title: String
        /// Which model answers, said for a person: the recipe it was trained by and its file.
        var answering: String
        var recipe: String
        var architecture: String
        var layers: [Layer]
        var parameters: Int
        var classNames: [String]
        var checkpoint: String
        var metadata: [String: String]
        var testAccuracy: Double?

        init(_ configuration: LeNetServer.Configuration) {
            kind = configuration.model.kind
            title = configuration.model.title
            let optimizer = configuration.metadata[MetadataKey.optimizer].flatMap(OptimizerKind.init(rawValue:))
                ?? type(of: configuration.model.model).defaultOptimizer
            recipe = configuration.metadata["recipe"] ?? (optimizer == .sdlm ? "paper" : "writeup")
            let recipes = ["modern": "trained by the modern recipe", "writeup": "trained by the write-up's recipe", "paper": "trained by the paper's recipe"]
            answering = "\(recipes[recipe] ?? "trained by the \(recipe) recipe") (\((configuration.checkpoint as NSString).lastPathComponent))"
            architecture = "\(title): " + configuration.model.model.network.layers.map(\.label).joined(separator: ", ")
            layers = configuration.model.model.network.summary.map { Layer(name: $0.layer, output: $0.output, parameters: $0.parameters) }
            parameters = configuration.model.parameterCount
            classNames = configuration.classNames
            // The file's name only: the server shows no paths of the machine it runs on.
            checkpoint = (configuration.checkpoint as NSString).lastPathComponent
            metadata = configuration.metadata
            testAccuracy = configuration.metadata[MetadataKey.testAccuracy].flatMap(Double.init)
        }
    }

    // MARK: - /api/predict

    /// A PNG/JPEG/PGM/PPM picture's grey levels, or JSON `{"pixels": [784 numbers 0-255]}` (a 28x28
    /// grey image, either polarity: it is prepared like any picture).
    static func decodePicture(_ body: [UInt8], isJSON: Bool, maximumBytes: Int) throws -> GreyPicture {
        guard !body.isEmpty else {
            throw BadRequest(status: .badRequest, message: "the body is empty: send a PNG image, or JSON {\"pixels\": [784 numbers 0-255]}")
        }
        if isJSON {
            do { return GreyPicture(try PixelsJSON.decode(body)) } catch { throw BadRequest(status: .badRequest, message: error.description) }
        }
        do {
            return try ImageFile.decodeGrey(body, file: "the request body", maximumBytes: maximumBytes)
        } catch let error as PNGError {
            if case .tooLarge(let size) = error { throw BadRequest(status: .contentTooLarge, message: size.description) }
            throw BadRequest(status: .badRequest, message: error.description)
        } catch let error as ImageFileError {
            if case .tooLarge(let size) = error { throw BadRequest(status: .contentTooLarge, message: size.description) }
            throw BadRequest(status: .badRequest, message: error.description)
        } catch {
            throw BadRequest(status: .badRequest, message: "\(error)")
        }
    }

    /// The media types of a picture body (an empty type is taken by the body's first bytes).
    static let pictureTypes: Set<String> = ["", "image/png", "image/jpeg", "image/x-portable-graymap", "image/x-portable-pixmap",
                                            "image/x-portable-bitmap", "image/x-portable-anymap", "application/octet-stream"]
}

/// `/api/predict`: the body checked against its limit before and while it is read, then decoded,
/// prepared and read by the reader on the prediction pool; the answer in `AnswerJSON`'s vocabulary,
/// with the 28x28 the network saw (and, with ?features=1, C1's and C3's feature maps).
struct Predictor: Sendable {
    let reader: Reader
    let limits: LeNetServer.Limits
    let pool: PredictionPool
    let budget: BodyBudget

    init(reader: Reader, limits: LeNetServer.Limits) {
        self.reader = reader
        self.limits = limits
        pool = PredictionPool(threads: limits.predictionThreads, queueLimit: limits.predictionQueue)
        budget = BodyBudget(limit: limits.maximumBodiesInFlight)
    }

    /// The answer to a picture: the digit in it, or with `number`, the number that reader reads.
    func answer(_ request: Request, context: ServerContext, number: Reader? = nil) async -> Response {
        let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        do {
            let isJSON = type == "application/json"
            guard isJSON || LeNetServer.pictureTypes.contains(type) else {
                throw BadRequest(status: .unsupportedMediaType,
                                 message: "Content-Type \(type) is not accepted: send image/png or image/jpeg (or a PGM/PPM image), or application/json with {\"pixels\": [...]}")
            }
            let limit = isJSON ? limits.maximumJSONBody : limits.maximumBody
            let (body, reserved) = try await collect(request, limit: limit, kind: isJSON ? "a JSON body" : "a picture body", context: context)
            // The body's bytes stay counted in the budget until it is answered (queued or decoded).
            defer { budget.release(reserved) }
            // With no Content-Type, a body that starts with "{" is taken for JSON (within its limit).
            let looksLikeJSON = isJSON || (type.isEmpty && body.first == UInt8(ascii: "{"))
            if looksLikeJSON, body.count > limits.maximumJSONBody {
                throw BadRequest(status: .contentTooLarge, message: "a JSON body may have at most \(limits.maximumJSONBody) bytes (the server's limit); this one has \(body.count)")
            }
            let (reader, maximumBytes) = (self.reader, limits.maximumDecodedBytes)
            let wantsFeatures = request.uri.queryParameters.get("features").map { $0 == "1" || $0 == "true" } ?? false
            let json = try await pool.run { () throws -> [UInt8] in
                let picture = try LeNetServer.decodePicture(body, isJSON: looksLikeJSON, maximumBytes: maximumBytes)
                if let number { return NumberJSON.encode(number.read(picture)) }
                let answer: Reader.Answer
                do { answer = try reader.classify(picture) } catch {
                    throw BadRequest(status: .unprocessableContent, message: "\(error)")
                }
                return AnswerJSON.encode(answer, names: reader.classNames, parts: wantsFeatures ? [.input, .featureMaps] : [.input])
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        } catch let bad as BadRequest {
            var response = LeNetServer.error(bad.status, bad.message)
            if bad.closesConnection { response.headers[.connection] = "close" }
            if bad.status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
            return response
        } catch is PredictionPool.Busy {
            var response = LeNetServer.error(.serviceUnavailable, PredictionPool.Busy().description)
            response.headers[.retryAfter] = "1"
            return response
        } catch {
            return LeNetServer.error(.badRequest, "\(error)")
        }
    }

    /// The body and the bytes it holds in the budget (the caller releases them once it has
    /// answered), refused with 413 past `limit` bytes (by Content-Length before reading, or while
    /// counting), 408 past the body deadline, 503 past the bodies-in-flight budget. A refused body
    /// is read no further: the connection stops being read and closes after the answer.
    func collect(_ request: Request, limit: Int, kind: String, context: ServerContext) async throws -> (bytes: [UInt8], reserved: Int) {
        func refuse(_ status: HTTPResponse.Status, _ message: String) -> BadRequest {
            context.stopReading()
            return BadRequest(status: status, message: message, closesConnection: true)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw refuse(.contentTooLarge, "\(kind) may have at most \(limit) bytes (the server's limit); this one has \(length)")
        }
        var bytes: [UInt8] = []
        var reserved = 0
        var complete = false
        defer { if !complete { budget.release(reserved) } }
        let start = ContinuousClock.now
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= limit else {
                throw refuse(.contentTooLarge, "\(kind) may have at most \(limit) bytes (the server's limit); this one is longer")
            }
            guard budget.reserve(chunk.readableBytes) else {
                throw refuse(.serviceUnavailable, "the server is receiving too many uploads at once; try again shortly")
            }
            reserved += chunk.readableBytes
            bytes += chunk.readableBytesView
            if ContinuousClock.now - start > .seconds(limits.bodyDeadline) {
                throw refuse(.requestTimeout, "the body did not arrive within \(Int(limits.bodyDeadline)) seconds")
            }
        }
        complete = true
        return (bytes, reserved)
    }
}

/// What went wrong with a request, said for the client.
struct BadRequest: Error {
    var status: HTTPResponse.Status
    var message: String
    /// The connection is not read further and closes after the answer.
    var closesConnection = false
}

/// The bytes of request bodies being received, all requests together, kept under a limit.
final class BodyBudget: @unchecked Sendable {
    let limit: Int
    private var used = 0
    private let lock = NSLock()
    init(limit: Int) { self.limit = limit }
    func reserve(_ count: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard used + count <= limit else { return false }
        used += count
        return true
    }
    func release(_ count: Int) {
        lock.lock()
        used -= count
        lock.unlock()
    }
}

/// Answers only requests whose Host names this server: a page on another origin that reaches the
/// server through a name of its own (DNS rebinding) gets 421 and nothing else.
struct HostCheck: RouterMiddleware {
    typealias Context = ServerContext
    let allowed: Set<String>?

    /// The names to accept; nil (any) when listening on every interface with no names given.
    static func names(listeningOn host: String, extra: Set<String>) -> Set<String>? {
        var names: Set<String> = ["localhost", "127.0.0.1", "::1"]
        names.formUnion(extra.map { $0.lowercased() })
        if host == "0.0.0.0" || host == "::" {
            guard !extra.isEmpty else { return nil }
            names.insert(ProcessInfo.processInfo.hostName.lowercased())
        } else {
            names.insert(host.lowercased())
        }
        return names
    }

    /// The host name of a Host header: without its port, IPv6 brackets removed.
    static func hostName(_ authority: String) -> String {
        var text = Substring(authority.lowercased())
        if text.hasPrefix("[") {
            return String(text.dropFirst().prefix { $0 != "]" })
        }
        if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon { text = text[..<colon] }
        return String(text)
    }

    static let host = HTTPField.Name("Host")!

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        // The first Host header is the request's authority; any other is left among its fields.
        // Two of them make the target ambiguous, and RFC 9112 (3.2) asks for 400.
        if !request.headers[values: Self.host].isEmpty {
            return LeNetServer.error(.badRequest, "the request has more than one Host header")
        }
        guard let allowed else { return try await next(request, context) }
        guard let authority = request.head.authority, !authority.isEmpty else {
            return LeNetServer.error(.badRequest, "the request has no Host header")
        }
        guard allowed.contains(Self.hostName(authority)) else {
            return LeNetServer.error(.misdirectedRequest,
                                     "this server answers to \(allowed.sorted().joined(separator: ", ")), not to Host '\(authority)' (start it with --allow-host NAME to add a name)")
        }
        return try await next(request, context)
    }
}

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request's head arrives, unless
/// its Content-Length is already over the largest body the server takes (then the route's 413
/// comes instead, and the body is never sent). Without it, curl and other libcurl clients wait a
/// second before sending any body over 1 MB.
final class ExpectContinue: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart
    let maximumBody: Int
    init(maximumBody: Int) { self.maximumBody = maximumBody }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), let expect = head.headerFields[.expect],
           expect.lowercased() == "100-continue", head.method == .post || head.method == .put {
            let length = head.headerFields[.contentLength].flatMap { Int($0) }
            if length.map({ $0 <= maximumBody }) ?? true {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }
}
