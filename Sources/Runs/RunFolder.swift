import Foundation
import Support

/// A run's folder: where its model, resume state, images and reports go.
public enum RunFolder {
    /// `./runs/<date>T<time>`, unique.
    public static func newPath(suffix label: String = "") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        let stem = "runs/" + formatter.string(from: Date()) + label
        var path = stem
        var suffix = 2
        while FileManager.default.fileExists(atPath: path) {
            path = stem + "-\(suffix)"
            suffix += 1
        }
        return path
    }

    /// Creates the folder and checks it can be written, before any long work starts.
    public static func prepare(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw FileError(path: folder, reason: "expected an output folder, found a file")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            // Name the part of the path that is in the way.
            var ancestor = (folder as NSString).deletingLastPathComponent
            while !ancestor.isEmpty, !FileManager.default.fileExists(atPath: ancestor) {
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
            let place = ancestor.isEmpty ? "." : ancestor
            throw FileError(path: folder, reason: "cannot create the output folder: \(place) does not allow creating folders in it")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FileError(path: folder, reason: "the output folder is not writable")
        }
    }

    /// Refuses to start a long run on a disk that cannot hold its files.
    public static func checkFreeSpace(_ folder: String, needed: Int) throws {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return }
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        if free < needed {
            throw FileError(path: folder, reason: "only \(free / 1024) KB free on its disk; a run needs about \(needed / (1 << 20)) MB for its checkpoints and reports")
        }
    }
}
