import Foundation

/// Folders for the tests, all inside one folder of this test process's own in the system's
/// temporary folder (`lenet-tests-PID`), which is removed when the process exits. A run that was
/// killed leaves its folder behind; the next run removes those whose process has ended.
public enum TestFolders {
    /// A new, empty folder whose name starts with `prefix`.
    public static func make(_ prefix: String) -> String {
        let folder = path(prefix)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A path inside the process's folder that nothing uses yet (for a test that makes it itself).
    public static func path(_ prefix: String) -> String {
        root + "/" + prefix + "-" + UUID().uuidString
    }
}

/// The process's folder, made (and the folders of ended runs removed) on first use.
private let root: String = {
    let temporary = NSTemporaryDirectory()
    for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) {
        // kill(pid, 0) fails with ESRCH once no process has that id.
        if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
            try? FileManager.default.removeItem(atPath: temporary + "/" + name)
        }
    }
    let folder = temporary + "/" + prefix + "\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: root) }
    return folder
}()

private let prefix = "lenet-tests-"
