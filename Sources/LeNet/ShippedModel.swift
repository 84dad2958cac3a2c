import Foundation

/// The model shipped in the repository, trained by `lenet train` (see models/README.md), and the
/// `--checkpoint` rule the commands share: a path, `latest` for the newest run, or the shipped model.
public enum ShippedModel {
    public static let relativePath = "models/lenet5-mnist.safetensors"

    /// Why no checkpoint could be chosen.
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String
    }

    /// models/lenet5-mnist.safetensors under the working folder, or else under the folders above the
    /// executable (so `swift run` and `.build/release/lenet` find it from anywhere in a clone).
    public static var path: String? {
        if FileManager.default.fileExists(atPath: relativePath) { return relativePath }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent(relativePath).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// The newest `<runs>/*/model.safetensors`, if any.
    public static func latestCheckpoint(in runs: String = "runs") -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: runs) else { return nil }
        return names.sorted(by: >).lazy.map { "\(runs)/\($0)/model.safetensors" }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The checkpoint a command uses: the given path, `latest` for the newest run, or the shipped model.
    public static func resolve(_ checkpoint: String?) throws(NotFound) -> (path: String, isShipped: Bool) {
        switch checkpoint {
        case "latest"?:
            guard let path = latestCheckpoint() else {
                throw NotFound(description: "--checkpoint latest: no runs/*/model.safetensors here; train one with `lenet train`")
            }
            return (path, false)
        case let path?:
            return (path, false)
        case nil:
            guard let path = Self.path else {
                throw NotFound(description: "the shipped model \(relativePath) is missing (run from the repository, or pass --checkpoint FILE)")
            }
            return (path, true)
        }
    }
}
