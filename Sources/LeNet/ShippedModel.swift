import Foundation
import Support

/// The models that ship in the repository's `models/` folder, and how a command chooses its
/// checkpoint: a file, `latest` (the newest run's), or a shipped model by name. With none given,
/// `ShippedModel.standard`, the best of them, answers.
public enum ShippedModel: String, CaseIterable, Sendable {
    /// The write-up's network trained by the modern recipe (`lenet train --recipe modern --seed 0`):
    /// 99.60% on MNIST's test set. What reads people's pictures unless told otherwise.
    case modern
    /// The write-up's network trained by the write-up's recipe (`lenet train --seed 0`): 97.89%, the
    /// reproduction's reference.
    case writeup
    /// The write-up's network with an 11th class, "not one digit", trained by the modern recipe on
    /// MNIST and the segments of numbers made from it (`lenet train --recipe modern --dataset
    /// mnist-segments --seed 0`): what `lenet read` reads numbers with.
    case numbers

    /// The model commands use when no checkpoint is given.
    public static let standard = ShippedModel.modern

    /// Its file, relative to the repository's root.
    public var relativePath: String {
        switch self {
        case .modern: return "models/lenet5-modern.safetensors"
        case .writeup: return "models/lenet5-mnist.safetensors"
        case .numbers: return "models/lenet5-numbers.safetensors"
        }
    }

    /// What `--checkpoint` accepts besides a file, said for `--help`.
    public static let choices = "a file, `latest` (the newest run's), `modern` (the default: the write-up's network trained by the modern recipe, 99.60%), `writeup` (trained as the write-up trains it, 97.89%) or `numbers` (the modern one with a class for 'not one digit')"

    /// What `lenet read --checkpoint` accepts.
    public static let numberChoices = "a file, `latest`, `numbers` (the default: the write-up's network with a class for 'not one digit', trained on MNIST and segments of numbers), `modern` or `writeup` (softmax only), or a 1998 model's file (its RBF penalties)"

    /// Why no checkpoint could be chosen.
    public struct NotFound: Error, CustomStringConvertible {
        /// The message to show.
        public var description: String
    }

    /// The file under the working folder, else under the folders above the executable, else in the
    /// package this code was built from (`PackageFolder`).
    public var path: String? { PackageFolder.locate(relativePath) }

    /// The newest `<runs>/*/model.safetensors` by the time it was written, if any.
    public static func latestCheckpoint(in runs: String = "runs") -> String? {
        Files.newest("model.safetensors", inRunsOf: runs)
    }

    /// The checkpoint a command uses: the given path, `latest` for the newest run, a shipped model
    /// by name, or the standard shipped model; and which shipped model it is, if one.
    public static func resolve(_ checkpoint: String?, standard: ShippedModel = .standard) throws(NotFound) -> (path: String, shipped: ShippedModel?) {
        switch checkpoint {
        case "latest"?:
            guard let path = latestCheckpoint() else {
                throw NotFound(description: "--checkpoint latest: no runs/*/model.safetensors here; train one with `lenet train`")
            }
            return (path, nil)
        case let name?:
            // A shipped model by name, unless a file has that name.
            if let model = ShippedModel(rawValue: name), !FileManager.default.fileExists(atPath: name) { return (try model.located(), model) }
            return (name, nil)
        case nil:
            return (try standard.located(), standard)
        }
    }

    /// The path, or an error saying where it was looked for.
    func located() throws(NotFound) -> String {
        guard let path else {
            throw NotFound(description: "the shipped model \(relativePath) is missing (run from the repository, or pass --checkpoint FILE)")
        }
        return path
    }
}
