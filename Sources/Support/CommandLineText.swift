import Foundation

/// Checks on the command line that every program of the project makes.
public enum CommandLineText {
    /// A sentence naming the first argument that is not valid UTF-8, or nil when all are.
    public static func argumentNotUTF8() -> String? {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
            if String(validating: bytes, as: UTF8.self) == nil {
                return "argument \(index) ('\(String(decoding: bytes, as: UTF8.self))') is not valid UTF-8: this tool reads names in UTF-8, so a file named so cannot be found; rename it (the bytes that are not UTF-8 are shown as U+FFFD)"
            }
        }
        return nil
    }
}
