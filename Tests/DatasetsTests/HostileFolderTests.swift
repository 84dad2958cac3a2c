import Foundation
import Imaging
import Support
import Testing
@testable import Datasets

/// What people put in folders and data roots by mistake or on purpose: a link to /dev/zero or a
/// FIFO named like a picture, names that are not UTF-8, one class, a gzip bomb in MNIST's place.
/// Each is an error that names the file, at once and in bounded memory.
@Suite struct HostileFolderTests {
    func make(_ root: String, _ name: [UInt8], folder: Bool) -> Bool {
        let path = Array(root.utf8) + [0x2F] + name + [0]
        return path.withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { folder ? mkdir($0.baseAddress!, 0o755) == 0 : creat($0.baseAddress!, 0o644) >= 0 }
        }
    }

    @Test func aLinkToADeviceOrAFIFOInAClassIsNamedAtOnce() throws {
        for (name, found) in [("zero.png", "character device"), ("pipe.png", "FIFO")] {
            let root = temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: root) }
            try DataSetTests.writeFolder(root)
            if name == "zero.png" {
                try FileManager.default.createSymbolicLink(atPath: root + "/circle/zero.png", withDestinationPath: "/dev/zero")
            } else {
                #expect(mkfifo(root + "/circle/pipe.png", 0o644) == 0)
            }
            let start = MonotonicClock.now()
            #expect(performing: { try ImageFolder.load(root) }, throws: { error in
                "\(error)".hasPrefix("\(root)/circle/\(name): ") && "\(error)".contains(found)
            })
            #expect(MonotonicClock.now() - start < 5)
        }
    }

    @Test func namesThatAreNotUTF8AreNamedNotDropped() throws {
        // A class folder "caf\xe9" (Latin-1): it was dropped without a word.
        let root = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try DataSetTests.writeFolder(root)
        #expect(make(root, [0x63, 0x61, 0x66, 0xE9], folder: true))
        #expect(performing: { try ImageFolder.load(root) }, throws: { error in
            "\(error)".contains("'caf\u{FFFD}' is not valid UTF-8")
        })
        // A picture "x\xff.png" in a class: it was "no such file".
        let second = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: second) }
        try DataSetTests.writeFolder(second)
        #expect(make(second + "/cross", [0x78, 0xFF, 0x2E, 0x70, 0x6E, 0x67], folder: false))
        #expect(performing: { try ImageFolder.load(second) }, throws: { error in
            "\(error)".hasPrefix("\(second)/cross: ") && "\(error)".contains("'x\u{FFFD}.png' is not valid UTF-8")
        })
    }

    /// A gzip stream of 23 KB that inflates to 23 MB of zeros in the place of MNIST's test labels
    /// (10,008 bytes): refused once it passes 10,008 bytes, not after inflating 4 GB.
    @Test func aGzipBombInAKnownFilesPlaceStopsAtTheKnownSize() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bomb = try Zlib.deflate([UInt8](repeating: 0, count: 23 << 20), level: 9, container: .gzip)
        let path = folder + "/t10k-labels-idx1-ubyte.gz"
        try Files.writeAtomically(bomb, to: path)
        #expect(performing: { _ = try IDX.contents(of: path, gzipSHA256: nil, expectedBytes: 10_008) }, throws: { error in
            "\(error)".contains(path) && "\(error)".contains("decompresses to more than the 10008 bytes its content has")
        })
        // With no known size, the bound is the general one (1 GiB), and a real file still loads.
        #expect(try IDX.contents(of: path, gzipSHA256: nil).content.count == 23 << 20)
    }
}
