import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Support

/// A file to fetch as `<mirror>/<name>.gz`, accepted only when it is gzip data whose decompressed
/// content has the given SHA-256.
public struct DownloadableFile: Sendable, Equatable {
    public var name: String
    public var sha256: String
    public init(name: String, sha256: String) {
        self.name = name
        self.sha256 = sha256
    }
}

/// Fetches files from an ordered list of mirrors, falling through to the next mirror on any failure:
/// a network error, an HTTP status other than 200, an HTML page (or anything else) instead of gzip
/// data, a corrupt stream, or a checksum mismatch. The accepted file is written to a temporary name
/// and renamed into place.
public struct Downloader: Sendable {
    public var mirrors: [String]
    /// Seconds before a request is abandoned.
    public var timeout: TimeInterval

    public init(mirrors: [String], timeout: TimeInterval = 60) {
        self.mirrors = mirrors
        self.timeout = timeout
    }

    /// Downloads `file` into `folder` as `<name>.gz` and returns its path.
    public func download(_ file: DownloadableFile, into folder: String,
                         log: @Sendable (String) -> Void) async throws(DatasetError) -> String {
        let destination = (folder as NSString).appendingPathComponent(file.name + ".gz")
        var attempts: [String] = []
        for mirror in mirrors {
            let address = (mirror.hasSuffix("/") ? mirror : mirror + "/") + file.name + ".gz"
            log("Downloading \(address)")
            switch await fetch(address) {
            case .failure(let reason):
                attempts.append("\(address): \(reason)")
            case .success(let body):
                if let problem = Self.problem(with: body, expecting: file) {
                    attempts.append("\(address): \(problem)")
                    continue
                }
                do {
                    try Files.writeAtomically(body, to: destination)
                } catch {
                    throw .unreadable(error)
                }
                log("Saved \(destination) (\(body.count) bytes, checksum verified)")
                return destination
            }
        }
        if mirrors.isEmpty { attempts.append("no mirrors were configured") }
        throw .downloadFailed(file: file.name + ".gz", attempts: attempts, destination: folder + "/")
    }

    /// Why `body` is not the expected file, or nil when it is.
    static func problem(with body: [UInt8], expecting file: DownloadableFile) -> String? {
        guard Zlib.isGzip(body) else {
            let head = String(decoding: body.prefix(512), as: UTF8.self).lowercased()
            if head.contains("<html") || head.contains("<!doctype") || head.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<") {
                return "the server sent an HTML page instead of gzip data"
            }
            return "not gzip data (expected the bytes 1f 8b, found \(body.prefix(2).map { String(format: "%02x", $0) }.joined(separator: " ")), \(body.count) bytes in all)"
        }
        let content: [UInt8]
        do {
            content = try Zlib.inflate(body, container: .gzip, sizeHint: body.count * 5, limit: 1 << 32)
        } catch {
            return "corrupt gzip data: \(error.description)"
        }
        let digest = SHA256.hex(content)
        guard digest == file.sha256 else {
            return "checksum mismatch: expected SHA-256 \(file.sha256), found \(digest)"
        }
        return nil
    }

    private enum Fetched: Sendable {
        case success([UInt8])
        case failure(String)
    }

    private func fetch(_ address: String) async -> Fetched {
        guard let url = URL(string: address) else { return .failure("not a valid URL") }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 10
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return .failure("no HTTP response") }
            guard http.statusCode == 200 else { return .failure("HTTP \(http.statusCode)") }
            return .success([UInt8](data))
        } catch {
            return .failure(error.localizedDescription)
        }
    }
}
