import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What went wrong on a loopback socket.
public struct LoopbackError: Error, CustomStringConvertible {
    public var description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
    init(message: String) { description = message }
}

/// A connected TCP socket on 127.0.0.1, with a receive timeout so a test never hangs.
public final class LoopbackConnection: @unchecked Sendable {
    public let descriptor: Int32

    public init(port: Int, timeout: Double = 30) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LoopbackError("socket") }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = LoopbackError("connect to 127.0.0.1:\(port)")
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Sends every byte (or throws: the peer may close first).
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw LoopbackError("send")
            }
            sent += result
        }
    }

    /// Up to `count` bytes; empty at the end of the stream. Throws on a timeout or a reset.
    public func receive(upTo count: Int = 65536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let result = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, count, 0) }
            if result < 0 {
                if errno == EINTR { continue }
                throw LoopbackError("receive")
            }
            return Array(buffer.prefix(result))
        }
    }

    /// Whether the peer has closed the connection within `seconds` (reading and dropping what comes).
    public func isClosedByPeer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = Glibc.poll(&poll, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            if ready <= 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let result = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, 65536, 0) }
            if result <= 0 { return true }
        }
        return false
    }
}

/// An HTTP/1.1 answer as a test sees it.
public struct HTTPAnswer: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
}

/// A raw HTTP/1.1 client: one request per connection, `Connection: close`, every byte under the
/// test's control (so tests can send what a browser never would: a wrong Host, a half-sent body).
public enum LoopbackClient {
    public static func request(port: Int, method: String = "GET", path: String, headers: [String: String] = [:],
                               body: [UInt8] = [], host: String? = nil, timeout: Double = 30) throws -> HTTPAnswer {
        let connection = try LoopbackConnection(port: port, timeout: timeout)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        // Sent from a thread of its own while the answer is read, as a browser does: a server may
        // answer (413, say) before the body is all sent, and close the connection.
        let bytes = Array(head.utf8) + body
        let sender = Thread { try? connection.send(bytes) }
        sender.start()
        return try readAnswer(from: connection)
    }

    /// Reads one answer: its head, then Content-Length bytes, chunks, or everything up to the close.
    public static func readAnswer(from connection: LoopbackConnection) throws -> HTTPAnswer {
        var data: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            let chunk = try connection.receive()
            if chunk.isEmpty { throw LoopbackError(message: "the connection closed before a whole answer head: \(String(decoding: data, as: UTF8.self))") }
            data += chunk
            headEnd = find([13, 10, 13, 10], in: data)
        }
        let head = String(decoding: data[..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw LoopbackError(message: "not an HTTP status line: \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(headEnd! + 4)...])
        if let length = headers["content-length"].flatMap(Int.init) {
            while body.count < length {
                let chunk = try connection.receive()
                if chunk.isEmpty { break }
                body += chunk
            }
        } else {
            while true {
                let chunk = try connection.receive()
                if chunk.isEmpty { break }
                body += chunk
            }
            if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = [], position = 0
        while let lineEnd = find([13, 10], in: bytes, from: position) {
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw LoopbackError(message: "bad chunk size") }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { throw LoopbackError(message: "truncated chunk") }
            output += bytes[start..<(start + size)]
            position = start + size + 2
        }
        return output
    }

    public static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count >= needle.count + start else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}

/// A static-file HTTP/1.1 server on 127.0.0.1 and a free port, for the downloader's tests: GET of a
/// file under `folder` answers 200 with its bytes, anything else 404. One thread, one connection at
/// a time, stopped when the value is released.
public final class LoopbackFileServer: @unchecked Sendable {
    public let port: Int
    let listener: Int32
    let folder: String
    let thread: Thread

    public init(serving folder: String) throws {
        self.folder = folder
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw LoopbackError("socket") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listener = self.listener
        let bound = withUnsafeMutablePointer(to: &address) { pointer -> Bool in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound else {
            let error = LoopbackError("bind or listen on 127.0.0.1")
            close(listener)
            throw error
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let root = folder
        thread = Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // the listener was shut down
                }
                LoopbackFileServer.answer(client, root: root)
                close(client)
            }
        }
        thread.start()
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    static func answer(_ client: Int32, root: String) {
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while LoopbackClient.find([13, 10, 13, 10], in: request) == nil {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress!, 4096, 0) }
            if count <= 0 { return }
            request += buffer.prefix(count)
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        var status = "404 Not Found", body = Array("not found\n".utf8)
        if line.count >= 2, line[0] == "GET", !line[1].contains(".."),
           let data = FileManager.default.contents(atPath: root + String(line[1])),
           !((try? FileManager.default.attributesOfItem(atPath: root + String(line[1]))[.type] as? FileAttributeType) == .typeDirectory) {
            status = "200 OK"
            body = [UInt8](data)
        }
        let head = Array("HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        let bytes = head + body
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if result <= 0 { return }
            sent += result
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// Runs blocking socket work on a thread of its own, so that it never holds one of Swift's few
/// cooperative threads (the server under test may need them to answer).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

extension LoopbackClient {
    /// `request(...)` on a thread of its own.
    public static func fetch(port: Int, method: String = "GET", path: String, headers: [String: String] = [:],
                             body: [UInt8] = [], host: String? = nil, timeout: Double = 30) async throws -> HTTPAnswer {
        try await onOwnThread { try request(port: port, method: method, path: path, headers: headers, body: body, host: host, timeout: timeout) }
    }
}
