import ArgumentParser
import LeNet

/// What `predict` and `read` do with their files, one after another: `body` answers one file,
/// printing its line or appending its JSON object to `json` once nothing of it can fail any more.
/// A file that fails is said on standard error and becomes `{"file": ..., "error": ...}` in the
/// JSON; the others are still answered, and the command then exits with failure. With `printJSON`
/// the array is printed at the end.
///
/// `body` gets the file's index, its path, and the path as a JSON string (the "file" key's value).
func answerEachFile(_ files: [String], printJSON: Bool,
                    _ body: (_ index: Int, _ file: String, _ fileJSON: String, _ json: inout JSONBytes) throws -> Void) throws {
    var json = JSONBytes()
    json.append("[")
    var failed = false
    for (index, file) in files.enumerated() {
        if index > 0 { json.append(",\n") }
        var quoted = JSONBytes()
        quoted.string(file)
        let fileJSON = String(decoding: quoted.bytes, as: UTF8.self)
        do {
            try body(index, file, fileJSON, &json)
        } catch {
            failed = true
            printError("error: \(error)")
            json.append("{\"file\":")
            json.append(fileJSON)
            json.append(",\"error\":")
            json.string("\(error)")
            json.append("}")
        }
    }
    json.append("]")
    if printJSON { print(String(decoding: json.bytes, as: UTF8.self)) }
    if failed { throw ExitCode.failure }
}
