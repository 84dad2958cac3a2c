import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Support

/// A file to fetch as `<mirror>/<name>.gz`, accepted only when it is gzip data whose decompressed
/// content has the given SHA-256 (and, when known, the given size).
public struct DownloadableFile: Sendable, Equatable {
    /// The file's name without `.gz`.
    public var name: String
    /// SHA-256 of its decompressed content, in lowercase hex.
    public var sha256: String
    /// The decompressed size in bytes, when known: nothing past it is ever inflated.
    public var byteCount: Int?
    /// A file named `name`, whose decompressed content must hash to `sha256` (and have `byteCount`
    /// bytes, when known).
    public init(name: String, sha256: String, byteCount: Int? = nil) {
        self.name = name
        self.sha256 = sha256
        self.byteCount = byteCount
    }

    /// The most a download of this file may bring: its gzip of data that does not compress at all
    /// is barely larger than the data, so the known size plus a margin; 1 GB when the size is unknown.
    var maximumDownload: Int { byteCount.map { $0 + $0 / 16 + (1 << 20) } ?? (1 << 30) }
}

/// Fetches files from an ordered list of mirrors, falling through to the next mirror on any failure:
/// a network error, an HTTP status other than 200, an HTML page (or anything else) instead of gzip
/// data, a corrupt stream, a size or checksum mismatch. The response streams to a temporary file in
/// the destination folder and stops at the file's size cap; it is then inflated piece by piece
/// (never past the known size) and hashed as it goes, so neither the download nor its content is
/// ever whole in memory. The accepted file is renamed into place.
public struct Downloader: Sendable {
    /// Base URLs tried in order; a file is fetched as `<mirror>/<name>.gz`.
    public var mirrors: [String]
    /// Seconds before a request is abandoned.
    public var timeout: TimeInterval

    /// A downloader over `mirrors`, each request abandoned after `timeout` seconds.
    public init(mirrors: [String], timeout: TimeInterval = 60) {
        self.mirrors = mirrors
        self.timeout = timeout
    }

    /// Downloads `file` into `folder` as `<name>.gz` and returns its path.
    public func download(_ file: DownloadableFile, into folder: String,
                         log: @Sendable (String) -> Void) async throws(DatasetError) -> String {
        let destination = (folder as NSString).appendingPathComponent(file.name + ".gz")
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .unreadable(FileError(path: folder, reason: "cannot create the folder: \(error.localizedDescription)"))
        }
        Files.removeStaleTemporaryFiles(in: folder)
        var attempts: [String] = []
        for mirror in mirrors {
            let address = (mirror.hasSuffix("/") ? mirror : mirror + "/") + file.name + ".gz"
            log("Downloading \(address)")
            let temporary = folder + "/." + file.name + ".gz.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { unlink(temporary) }
            switch await fetch(address, to: temporary, cap: file.maximumDownload) {
            case .failure(let reason):
                attempts.append("\(address): \(reason)")
            case .success(let size):
                if let problem = Self.problem(withFileAt: temporary, expecting: file) {
                    attempts.append("\(address): \(problem)")
                    continue
                }
                guard rename(temporary, destination) == 0 else {
                    throw .unreadable(FileError(path: destination, reason: "cannot rename the download into place: \(String(cString: strerror(errno)))"))
                }
                do { try Files.syncFolder(folder, after: destination) } catch { throw .unreadable(error) }
                log("Saved \(destination) (\(size) bytes, checksum verified)")
                return destination
            }
        }
        if mirrors.isEmpty { attempts.append("no mirrors were configured") }
        throw .downloadFailed(file: file.name + ".gz", attempts: attempts, destination: folder + "/")
    }

    /// Why the downloaded file at `path` is not the expected file, or nil when it is: read in
    /// pieces, inflated no further than the known size, hashed as it is inflated.
    static func problem(withFileAt path: String, expecting file: DownloadableFile) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "the download could not be read back" }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 512)).map { [UInt8]($0) } ?? []
        guard Zlib.isGzip(head) else {
            let text = String(decoding: head, as: UTF8.self).lowercased()
            if text.contains("<html") || text.contains("<!doctype") || text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<") {
                return "the server sent an HTML page instead of gzip data"
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? head.count
            return "not gzip data (expected the bytes 1f 8b, found \(head.prefix(2).map { String(format: "%02x", $0) }.joined(separator: " ")), \(size) bytes in all)"
        }
        var hasher = SHA256.Incremental()
        do {
            let inflater = try Zlib.Inflater(container: .gzip, limit: file.byteCount ?? (1 << 32))
            var piece = head
            while !piece.isEmpty {
                try piece.withUnsafeBufferPointer { try inflater.feed($0) { hasher.update($0) } }
                piece = (try handle.read(upToCount: 1 << 20)).map { [UInt8]($0) } ?? []
            }
            try inflater.finish()
            if let expected = file.byteCount, inflater.produced != expected {
                return "the content has \(inflater.produced) bytes, expected \(expected)"
            }
        } catch let error as CompressionError {
            if case .outputTooLarge(let limit) = error {
                return "the content is larger than the expected \(limit) bytes"
            }
            return "corrupt gzip data: \(error.description)"
        } catch {
            return "the download could not be read back: \(error.localizedDescription)"
        }
        let digest = hasher.finishHex()
        guard digest == file.sha256 else {
            return "checksum mismatch: expected SHA-256 \(file.sha256), found \(digest)"
        }
        return nil
    }

    enum Fetched: Sendable {
        case success(Int)
        case failure(String)
    }

    /// Streams `address` into the file `path`, stopping past `cap` bytes.
    func fetch(_ address: String, to path: String, cap: Int) async -> Fetched {
        guard let url = URL(string: address) else { return .failure("not a valid URL") }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return .failure("cannot create \(path): \(String(cString: strerror(errno)))") }
        let sink = StreamToFile(descriptor: descriptor, cap: cap)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 10
        let session = URLSession(configuration: configuration, delegate: sink, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let result = await withCheckedContinuation { continuation in
            sink.finished = { continuation.resume(returning: $0) }
            session.dataTask(with: request).resume()
        }
        let closed = close(descriptor) == 0
        if case .success = result, !closed { return .failure("writing \(path) failed: \(String(cString: strerror(errno)))") }
        return result
    }
}

/// The download's delegate: writes each piece of the body to the file as it arrives, and cancels
/// the transfer past the cap or on a status other than 200.
private final class StreamToFile: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let descriptor: Int32
    let cap: Int
    // Touched only on the session's serial delegate queue.
    var written = 0
    var failure: String?
    var finished: ((Downloader.Fetched) -> Void)?

    init(descriptor: Int32, cap: Int) {
        self.descriptor = descriptor
        self.cap = cap
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = "no HTTP response"
            return completionHandler(.cancel)
        }
        guard http.statusCode == 200 else {
            failure = "HTTP \(http.statusCode)"
            return completionHandler(.cancel)
        }
        if http.expectedContentLength > Int64(cap) {
            failure = "the server announces \(http.expectedContentLength) bytes, more than the \(cap) this file can take"
            return completionHandler(.cancel)
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        guard written + data.count <= cap else {
            failure = "the download passed \(cap) bytes, more than this file can take; stopped"
            dataTask.cancel()
            return
        }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let result = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += result
            }
            return true
        }
        guard ok else {
            failure = "writing the download to disk failed: \(String(cString: strerror(errno)))"
            dataTask.cancel()
            return
        }
        written += data.count
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let result: Downloader.Fetched
        if let failure {
            result = .failure(failure)
        } else if let error {
            result = .failure(error.localizedDescription)
        } else if fsync(descriptor) != 0 {
            result = .failure("writing the download to disk failed: \(String(cString: strerror(errno)))")
        } else {
            result = .success(written)
        }
        finished?(result)
        finished = nil
    }
}
