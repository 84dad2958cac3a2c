import Datasets
import FileFormats
import Foundation
import Imaging
import LeNet
import NeuralNetwork
import Support
import Testing

/// The malformed-file corpus (Tests/LeNetTests/Fixtures/malformed/): each file with the exact error
/// it must produce (`expected.json`, the file's path written as FILE). New inputs the fuzzers find
/// belong here too.
@Suite struct MalformedCorpusTests {
    static let folder = repositoryRoot + "/Tests/LeNetTests/Fixtures/malformed"

    /// The error the parser for `name`'s kind gives, with the path replaced by FILE.
    static func error(for name: String) -> String {
        let path = folder + "/" + name
        do {
            let bytes = try Files.read(path)
            if name.hasSuffix(".idx") || name.hasSuffix(".idx.gz") {
                _ = try IDX.parse(try IDX.contents(of: path), rank: 3, file: path)
            } else if name.hasSuffix(".resume.safetensors") {
                _ = try RunCheckpoint.load(path)
            } else if name.hasSuffix(".npy") {
                _ = try NumPyArray.read(path)
            } else if name.hasSuffix(".safetensors") {
                let file = try SafeTensorsFile(bytes: bytes, path: path)
                for key in file.entries.keys { _ = try file.floats(key) }
            } else if name.hasSuffix(".json") {
                _ = try PixelsJSON.decode(bytes)
            } else {
                _ = try ImageFile.decode(bytes, file: path)
            }
            return "no error"
        } catch {
            return "\(error)".replacingOccurrences(of: path, with: "FILE")
        }
    }

    @Test func everyMalformedFileGivesItsError() throws {
        let expected = try JSONDecoder().decode([String: String].self, from: Data(try Files.read(Self.folder + "/expected.json")))
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0 != "expected.json" }.sorted()
        #expect(names.count == expected.count && names.count >= 20)
        for name in names {
            let message = Self.error(for: name)
            if ProcessInfo.processInfo.environment["PRINT_CORPUS"] != nil { print("\"\(name)\": \(String(reflecting: message)),") }
            #expect(message == expected[name], "\(name)")
        }
    }
}
