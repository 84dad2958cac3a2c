import Foundation

/// An error reading or writing a file, naming it.
public struct FileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

public enum Files {
    /// Reads a whole file, or throws an error that names it.
    public static func read(_ path: String) throws(FileError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw FileError(path: path, reason: exists ? "cannot be opened for reading" : "no such file")
        }
        defer { try? handle.close() }
        do {
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw FileError(path: path, reason: "read failed: \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to `path` atomically: into a temporary file in the same folder, flushed to disk,
    /// then renamed over the destination, so a reader (or a crash) never sees a half-written file.
    /// Creates the parent folder if needed.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FileError(path: folder, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw FileError(path: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { raw -> String? in
            while written < raw.count {
                let result = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += result
            }
            return fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
        }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw FileError(path: path, reason: "write failed (\(failure)); the previous file, if any, is untouched")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FileError(path: path, reason: "cannot rename the temporary file into place: \(reason)")
        }
    }
}
