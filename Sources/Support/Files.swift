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

    /// Writes `bytes` to `path` atomically and durably: into a temporary file in the same folder,
    /// flushed to disk and closed (a failed close is an error), renamed over the destination, then
    /// the folder itself is flushed so the rename survives a power cut. A reader, or a crash, never
    /// sees a half-written file. Creates the parent folder if needed. Temporary files of this naming
    /// pattern left in the folder by a process that no longer runs (killed with -9, say) are removed.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw FileError(path: folder, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        removeStaleTemporaryFiles(in: folder)
        let temporary = folder + "/." + url.lastPathComponent + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileError(path: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        var failure: String? = bytes.withUnsafeBytes { raw -> String? in
            while written < raw.count {
                let result = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += result
            }
            return fsync(descriptor) == 0 ? nil : "fsync: " + String(cString: strerror(errno))
        }
        if close(descriptor) != 0, failure == nil { failure = "close: " + String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw FileError(path: path, reason: "write failed (\(failure)); the previous file, if any, is untouched")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FileError(path: path, reason: "cannot rename the temporary file into place: \(reason)")
        }
        try syncFolder(folder, after: path)
    }

    /// What sets this tool's temporary files apart: `.<name>.tmp-<pid>-<random>`.
    static let temporaryMarker = ".tmp-"

    /// Flushes a folder's entries (a rename into it) to disk.
    public static func syncFolder(_ folder: String, after path: String) throws(FileError) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileError(path: path, reason: "written, but its folder cannot be opened to flush the rename: \(String(cString: strerror(errno)))")
        }
        let synced = fsync(descriptor) == 0 || errno == EINVAL  // EINVAL: a file system without folder syncs
        let reason = String(cString: strerror(errno))
        let closed = close(descriptor) == 0
        guard synced, closed else {
            throw FileError(path: path, reason: "written, but flushing its folder to disk failed: \(reason)")
        }
    }

    /// Removes `.<name>.tmp-<pid>-<random>` files in `folder` whose process is gone.
    public static func removeStaleTemporaryFiles(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".") {
            guard let marker = name.range(of: temporaryMarker, options: .backwards) else { continue }
            let parts = name[marker.upperBound...].split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }  // still running (or someone else's)
            unlink(folder + "/" + name)
        }
    }
}
