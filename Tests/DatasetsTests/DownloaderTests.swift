import Foundation
import Testing
@testable import Datasets
import Support
import LoopbackHTTP

@Suite(.serialized) struct DownloaderTests {
    let content = IDX.encode(dimensions: [3], bytes: [1, 2, 3])
    var file: DownloadableFile { DownloadableFile(name: "tiny-labels-idx1-ubyte", sha256: SHA256.hex(content)) }

    /// Mirrors m1 (nothing: 404), m2 (an HTML page), m3 (gzip of other bytes), m4 (the file),
    /// m5 (a corrupt gzip stream).
    func makeMirrors() throws -> String {
        let root = temporaryFolder()
        let name = file.name + ".gz"
        try FileManager.default.createDirectory(atPath: root + "/m1", withIntermediateDirectories: true)
        try Files.writeAtomically(Array("<!DOCTYPE html><html><body>Not Found</body></html>".utf8), to: root + "/m2/" + name)
        try Files.writeAtomically(try Zlib.deflate([9, 9, 9], container: .gzip), to: root + "/m3/" + name)
        try Files.writeAtomically(try Zlib.deflate(content, container: .gzip), to: root + "/m4/" + name)
        var corrupt = try Zlib.deflate(content + [UInt8](repeating: 4, count: 100), container: .gzip)
        corrupt.removeLast(10)
        try Files.writeAtomically(corrupt, to: root + "/m5/" + name)
        return root
    }

    @Test func fallsThroughEveryKindOfFailureToAGoodMirror() async throws {
        let server = try LoopbackFileServer(serving: try makeMirrors())
        let destination = temporaryFolder() + "/raw"
        let downloader = Downloader(mirrors: ["http://127.0.0.1:1/", server.url("m1"), server.url("m2/"), server.url("m3"),
                                              server.url("m5"), server.url("m4")], timeout: 10)
        let path = try await downloader.download(file, into: destination, log: { _ in })
        #expect(path == destination + "/" + file.name + ".gz")
        #expect(try IDX.contents(of: path) == content)
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == [file.name + ".gz"], "no temporary files left")
    }

    @Test func whenEveryMirrorFailsOneErrorListsEveryAttempt() async throws {
        let server = try LoopbackFileServer(serving: try makeMirrors())
        let destination = temporaryFolder() + "/raw"
        let mirrors = ["http://127.0.0.1:1/", server.url("m1"), server.url("m2"), server.url("m3"), server.url("m5")]
        do {
            _ = try await Downloader(mirrors: mirrors, timeout: 10).download(file, into: destination, log: { _ in })
            Issue.record("the download should have failed")
        } catch {
            let message = "\(error)"
            print(message)
            guard case .downloadFailed(_, let attempts, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(attempts.count == 5)
            #expect(attempts[0].hasPrefix("http://127.0.0.1:1/tiny-labels-idx1-ubyte.gz: "))
            #expect(attempts[1].hasSuffix("HTTP 404"))
            #expect(attempts[2].hasSuffix("the server sent an HTML page instead of gzip data"))
            #expect(attempts[3].contains("checksum mismatch"))
            #expect(attempts[4].contains("corrupt gzip data"))
            #expect(message.contains("To place the file by hand, copy tiny-labels-idx1-ubyte.gz"))
            #expect(message.contains(destination))
            #expect(!FileManager.default.fileExists(atPath: destination + "/" + file.name + ".gz"))
        }
    }

    @Test func mnistDownloadsOnlyWhatIsMissing() async throws {
        // A root with three of the four files: only the test labels are fetched, from a local mirror.
        let repository = MNISTTests.repositoryRoot + "/data/MNIST/raw/"
        let mirror = temporaryFolder()
        try FileManager.default.copyItem(atPath: repository + "t10k-labels-idx1-ubyte.gz", toPath: mirror + "/t10k-labels-idx1-ubyte.gz")
        let root = temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/MNIST/raw", withIntermediateDirectories: true)
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"] {
            try FileManager.default.createSymbolicLink(atPath: root + "/MNIST/raw/\(name).gz", withDestinationPath: repository + name + ".gz")
        }
        let server = try LoopbackFileServer(serving: mirror)
        try await MNIST.downloadMissing(root: root, downloader: Downloader(mirrors: [server.url("")]), log: { _ in })
        #expect(MNIST.missingFiles(root: root).isEmpty)
        #expect(try MNIST.load(.test, root: root).labels.prefix(3) == [7, 2, 1])
    }
}

/// A download never takes more than its file can: the response stops at a cap, and the content is
/// inflated no further than its known size.
@Suite(.serialized) struct DownloaderBoundsTests {
    let content = IDX.encode(dimensions: [3], bytes: [1, 2, 3])

    @Test func aResponseLargerThanTheFileCanBeIsStopped() async throws {
        let mirror = temporaryFolder()
        // 3 MB of gzip for a file known to hold 11 bytes: its cap is 11 bytes + 1 MB.
        try Files.writeAtomically(try Zlib.deflate([UInt8](repeating: 7, count: 100), container: .gzip)
                                  + [UInt8](repeating: 0, count: 3 << 20), to: mirror + "/tiny-labels-idx1-ubyte.gz")
        let server = try LoopbackFileServer(serving: mirror)
        let file = DownloadableFile(name: "tiny-labels-idx1-ubyte", sha256: SHA256.hex(content), byteCount: content.count)
        let destination = temporaryFolder()
        do {
            _ = try await Downloader(mirrors: [server.url("")], timeout: 10).download(file, into: destination, log: { _ in })
            Issue.record("the download should have been refused")
        } catch {
            guard case .downloadFailed(_, let attempts, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(attempts.count == 1)
            #expect(attempts[0].contains("more than the 1048587 this file can take") || attempts[0].contains("passed 1048587 bytes"), "\(attempts[0])")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination).isEmpty, "nothing left behind")
    }

    @Test func aGzipBombIsInflatedNoFurtherThanTheKnownSize() async throws {
        let mirror = temporaryFolder()
        // 1 MB of gzip that would inflate to 1 GB.
        let bomb = try Zlib.deflate([UInt8](repeating: 0, count: 64 << 20), level: 9, container: .gzip)
        var bytes: [UInt8] = []
        for _ in 0..<16 { bytes += bomb }
        try Files.writeAtomically(bytes, to: mirror + "/tiny-labels-idx1-ubyte.gz")
        let server = try LoopbackFileServer(serving: mirror)
        let file = DownloadableFile(name: "tiny-labels-idx1-ubyte", sha256: SHA256.hex(content), byteCount: content.count)
        do {
            _ = try await Downloader(mirrors: [server.url("")], timeout: 10).download(file, into: temporaryFolder(), log: { _ in })
            Issue.record("the download should have been refused")
        } catch {
            guard case .downloadFailed(_, let attempts, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(attempts[0].hasSuffix("the content is larger than the expected 11 bytes"), "\(attempts[0])")
        }
    }

    @Test func incrementalSHA256AgreesWithTheWholeDigestForAnySplit() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        for split in [0, 1, 55, 63, 64, 65, 127, 500, 999, 1000] {
            var hasher = SHA256.Incremental()
            hasher.update(Array(data[..<split]))
            hasher.update(Array(data[split...]))
            #expect(hasher.finishHex() == SHA256.hex(data), "split at \(split)")
        }
    }
}
