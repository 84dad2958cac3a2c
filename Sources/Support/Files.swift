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
    /// The most `read` takes by default: 1 GiB (EMNIST's largest file, uncompressed, is 547 MB).
    public static let defaultMaximumBytes = 1 << 30

    /// Reads a whole regular file, or throws an error that names it and says what it found: no such
    /// file, a folder, a device (`/dev/zero` would fill memory), a FIFO or socket (reading one could
    /// wait forever), a loop of symbolic links, a file over `maximumBytes`. A symbolic link is
    /// followed to what it names, which must itself be a regular file.
    public static func read(_ path: String, maximumBytes: Int = defaultMaximumBytes) throws(FileError) -> [UInt8] {
        let (descriptor, size) = try openRegular(path)
        defer { close(descriptor) }
        guard size <= maximumBytes else {
            throw FileError(path: path, reason: "is \(size) bytes, over the limit of \(maximumBytes) bytes")
        }
        // Read to the end (a file may grow while it is read), never past the limit.
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var count = try fill(&bytes, from: 0, descriptor: descriptor, path: path)
        while count == bytes.count {
            guard count <= maximumBytes else {
                throw FileError(path: path, reason: "grew past the limit of \(maximumBytes) bytes while it was read")
            }
            bytes += [UInt8](repeating: 0, count: min(max(bytes.count, 1 << 16), maximumBytes + 1 - count))
            count = try fill(&bytes, from: count, descriptor: descriptor, path: path)
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// The first `count` bytes of a regular file (all of it when it is shorter), with `read`'s
    /// checks: a device, FIFO or socket is refused, not read.
    public static func readStart(_ path: String, count: Int) throws(FileError) -> [UInt8] {
        let (descriptor, _) = try openRegular(path)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        bytes.removeLast(bytes.count - (try fill(&bytes, from: 0, descriptor: descriptor, path: path)))
        return bytes
    }

    /// Reads from `descriptor` into `bytes[filled...]` until `bytes` is full or the file ends
    /// (a read interrupted by a signal is retried); returns how much of `bytes` is filled.
    static func fill(_ bytes: inout [UInt8], from filled: Int, descriptor: Int32, path: String) throws(FileError) -> Int {
        var filled = filled
        while filled < bytes.count {
            let result = bytes.withUnsafeMutableBytes { raw in systemRead(descriptor, raw.baseAddress! + filled, raw.count - filled) }
            if result < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if result == 0 { break }
            filled += result
        }
        return filled
    }

    /// Opens `path` for reading when it is a regular file (a link is followed), and gives its size;
    /// the caller closes the descriptor.
    static func openRegular(_ path: String) throws(FileError) -> (descriptor: Int32, size: Int) {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(path: path, reason: openFailure(errno)) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = "cannot be examined: \(String(cString: strerror(errno)))"
            close(descriptor)
            throw FileError(path: path, reason: reason)
        }
        if let kind = specialKind(status.st_mode) {
            close(descriptor)
            throw FileError(path: path, reason: "is \(kind), not a regular file")
        }
        return (descriptor, Int(status.st_size))
    }

    /// The newest `<folder>/<run>/<file>` by modification time that is a regular file and that
    /// `accept` takes (given the run's folder); ties go to the path that sorts last. Nil when there
    /// is none, or `folder` cannot be read.
    public static func newest(_ file: String, inRunsOf folder: String, where accept: (String) -> Bool = { _ in true }) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        var newest: (date: Date, path: String)?
        for name in names {
            let run = (folder as NSString).appendingPathComponent(name)
            let path = (run as NSString).appendingPathComponent(file)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let date = attributes[.modificationDate] as? Date else { continue }
            if let newest, date < newest.date || (date == newest.date && path < newest.path) { continue }
            guard accept(run) else { continue }
            newest = (date, path)
        }
        return newest?.path
    }

    /// An entry of a folder, as `entries(of:)` lists it.
    public struct Entry: Sendable, Equatable {
        /// The name, with any bytes that are not UTF-8 shown as U+FFFD.
        public var name: String
        /// Whether the name is valid UTF-8 (a path made from `name` reaches the entry only then).
        public var isUTF8: Bool
        /// Whether it is a folder (a symbolic link counts as what it leads to).
        public var isFolder: Bool
    }

    /// The entries of a folder but "." and "..", in no particular order, reading names as bytes so
    /// that one which is not UTF-8 is seen (and can be named in an error) rather than dropped.
    public static func entries(of folder: String) throws(FileError) -> [Entry] {
        guard let stream = opendir(folder) else { throw FileError(path: folder, reason: openFailure(errno)) }
        defer { closedir(stream) }
        var entries: [Entry] = []
        while let entry = readdir(stream) {
            let bytes: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { name in
                    Array(UnsafeBufferPointer(start: name, count: strlen(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self))))
                }
            }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            let valid = String(validating: bytes, as: UTF8.self)
            let name = valid ?? String(decoding: bytes, as: UTF8.self)
            var status = stat()
            let path = Array(folder.utf8) + [0x2F] + bytes + [0]
            let isFolder = path.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR }
            }
            entries.append(Entry(name: name, isUTF8: valid != nil, isFolder: isFolder))
        }
        return entries
    }

    /// What a file that is not a regular file is, said for a person; nil for a regular file.
    static func specialKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device (reading it could fill memory or never end)"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO (a named pipe: reading it could wait forever)"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// Why `open` failed, said for a person.
    static func openFailure(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case ELOOP: return "a loop of symbolic links (or too many links in a row)"
        case EACCES: return "permission denied"
        case ENOTDIR: return "a part of the path is not a folder"
        case ENAMETOOLONG: return "the path is too long"
        case EISDIR: return "is a folder, not a regular file"
        default: return "cannot be opened for reading: \(String(cString: strerror(code)))"
        }
    }

    /// Writes `bytes` to `path` atomically and durably: into a temporary file in the same folder,
    /// flushed to disk and closed (a failed close is an error), renamed over the destination, then
    /// the folder itself is flushed so the rename survives a power cut. A reader, or a crash, never
    /// sees a half-written file. Creates the parent folder if needed. Temporary files of this naming
    /// pattern left in the folder by a process that no longer runs (killed with -9, say) are removed.
    ///
    /// Only a regular file is ever replaced: a folder, a device (`/dev/full`), a FIFO or a socket at
    /// `path` is an error that says so. A symbolic link is kept, and the regular file it leads to is
    /// the one replaced (so `model.safetensors -> runs/x/model.safetensors` stays a link); a link
    /// that leads nowhere, or to something other than a regular file, is an error.
    public static func writeAtomically(_ bytes: [UInt8], to requested: String) throws(FileError) {
        let path = try destination(requested)
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

    /// The file a write to `path` replaces: `path` itself when nothing or a regular file is there,
    /// the file a symbolic link leads to; an error for anything else.
    static func destination(_ path: String) throws(FileError) -> String {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return path }
            throw FileError(path: path, reason: "cannot be written: \(openFailure(errno))")
        }
        var target = path
        if status.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                let reason = errno == ENOENT ? "leads to a file that does not exist" : openFailure(errno)
                throw FileError(path: path, reason: "is a symbolic link that cannot be written through: it \(reason)")
            }
            target = String(cString: resolved)
            free(resolved)
            guard stat(target, &status) == 0 else { throw FileError(path: path, reason: "cannot be written: \(openFailure(errno))") }
        }
        if let kind = specialKind(status.st_mode) {
            let via = target == path ? "" : " (the symbolic link leads to \(target))"
            throw FileError(path: path, reason: "is \(kind)\(via); only a regular file is written, so nothing was written")
        }
        return target
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

/// The C library's `read` (inside `Files`, the name is its own).
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(descriptor, buffer, count) }
