import Foundation

/// Files this package ships beside its code (`models/`, `data/`, `samples/`), found from wherever
/// the program runs: the working folder, the folders above the executable (so `swift run` and
/// `.build/release/lenet` find them from anywhere in a clone), and last the folder the package was
/// built from, which for a package that depends on this one is its checkout
/// (`.build/checkouts/<name>`).
public enum PackageFolder {
    /// The package's root when it was compiled: this file is `<root>/Sources/Support/PackageFolder.swift`.
    public static let builtFrom: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The first of the candidate places where `relativePath` exists, or nil.
    public static func locate(_ relativePath: String) -> String? {
        if FileManager.default.fileExists(atPath: relativePath) { return relativePath }
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent(relativePath).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        let built = (builtFrom as NSString).appendingPathComponent(relativePath)
        return FileManager.default.fileExists(atPath: built) ? built : nil
    }
}
