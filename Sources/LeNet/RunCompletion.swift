import Foundation

/// The order in which a finished run leaves its folder, the same for both models, so that no failure
/// loses it: the final model is always written, even after a periodic checkpoint failed, and the
/// resumable state is removed only once the model is safely on disk.
public enum RunCompletion {
    /// Why a run that trained did not end cleanly; said after its model was saved.
    public struct CheckpointFailure: Error, CustomStringConvertible {
        /// The checkpoint's error.
        public var underlying: any Error
        /// Where the finished model was saved.
        public var modelPath: String
        /// The message to show.
        public var description: String {
            "a periodic checkpoint could not be saved (\(underlying)); the finished model was saved all the same: \(modelPath)"
        }
    }

    /// The final model could not be saved, after a periodic checkpoint had failed too: both said.
    public struct SaveFailure: Error, CustomStringConvertible {
        /// The final model's error.
        public var underlying: any Error
        /// The periodic checkpoint's error.
        public var earlierFailure: any Error
        /// The message to show.
        public var description: String {
            "the finished model could not be saved (\(underlying)), and a periodic checkpoint had failed before it (\(earlierFailure)); free some space and train again, or resume from the last checkpoint that was saved, if any"
        }
    }

    /// Writes the final model with `saveModel`, and only when that succeeded removes `resumeFile`
    /// (a regular file only: a folder in its place is left alone). Then, if `earlierFailure` holds a
    /// periodic checkpoint's error, throws it as a `CheckpointFailure`, after the model is on disk.
    /// Returns a warning when the resume file could not be removed.
    @discardableResult
    public static func finish(modelPath: String, saveModel: () throws -> Void, resumeFile: String,
                              earlierFailure: (any Error)?) throws -> String? {
        do {
            try saveModel()
        } catch {
            if let earlierFailure { throw SaveFailure(underlying: error, earlierFailure: earlierFailure) }
            throw error
        }
        var warning: String?
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: resumeFile, isDirectory: &isFolder) {
            if isFolder.boolValue {
                warning = "\(resumeFile) is a folder, not a checkpoint; left as it is"
            } else if unlink(resumeFile) != 0 {
                warning = "\(resumeFile): could not remove the finished run's resumable state: \(String(cString: strerror(errno)))"
            }
        }
        if let earlierFailure { throw CheckpointFailure(underlying: earlierFailure, modelPath: modelPath) }
        return warning
    }
}
