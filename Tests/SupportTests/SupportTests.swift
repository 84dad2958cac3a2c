import Foundation
import TestFolders
import Testing
@testable import Support

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Two-block message from FIPS 180-2.
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func everyPaddingLength() {
        // Lengths around the 55/56/64-byte boundaries must all differ and be stable.
        let digests = (50...130).map { SHA256.hex([UInt8](repeating: 7, count: $0)) }
        #expect(Set(digests).count == digests.count)
    }
}

@Suite struct ZlibTests {
    let sample: [UInt8] = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31 ^ ($0 >> 7)) }

    @Test func roundTripsBothContainers() throws {
        for container in [Zlib.Container.zlib, .gzip] {
            let packed = try Zlib.deflate(sample, container: container)
            #expect(packed.count < sample.count)
            #expect(Zlib.isGzip(packed) == (container == .gzip))
            #expect(try Zlib.inflate(packed, container: container) == sample)
        }
    }

    @Test func concatenatedGzipMembers() throws {
        let a = try Zlib.deflate(Array("hello ".utf8), container: .gzip)
        let b = try Zlib.deflate(Array("world".utf8), container: .gzip)
        #expect(try Zlib.inflate(a + b, container: .gzip) == Array("hello world".utf8))
    }

    @Test func truncatedStreamIsAnError() throws {
        let packed = try Zlib.deflate(sample, container: .gzip)
        #expect(throws: CompressionError.self) { try Zlib.inflate(Array(packed.prefix(packed.count / 2)), container: .gzip) }
    }

    @Test func corruptStreamIsAnError() throws {
        var packed = try Zlib.deflate(sample, container: .gzip)
        for i in 20..<60 { packed[i] ^= 0x5a }
        #expect(throws: CompressionError.self) { try Zlib.inflate(packed, container: .gzip) }
    }

    @Test func outputLimitIsEnforced() throws {
        let packed = try Zlib.deflate([UInt8](repeating: 0, count: 1 << 20), container: .gzip)
        #expect(throws: CompressionError.outputTooLarge(limit: 4096)) { try Zlib.inflate(packed, container: .gzip, limit: 4096) }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(Zlib.crc32(Array("123456789".utf8)) == 0xcbf4_3926)
    }
}

@Suite struct FilesTests {
    @Test func atomicWriteReplacesAndLeavesNoTemporaryFile() throws {
        let folder = TestFolders.path("files")
        let path = folder + "/nested/out.bin"
        try Files.writeAtomically([1, 2, 3], to: path)
        try Files.writeAtomically([4, 5], to: path)
        #expect(try Files.read(path) == [4, 5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/nested") == ["out.bin"])
    }

    @Test func unwritableDestinationNamesThePath() throws {
        let blocker = TestFolders.path("blocker")
        try Files.writeAtomically([0], to: blocker)  // a file where a folder is needed
        #expect { try Files.writeAtomically([1], to: blocker + "/x.bin") } throws: { error in
            "\(error)".contains(blocker)
        }
    }

    @Test func temporaryFilesOfAKilledProcessAreRemovedOnTheNextWriteButNotALiveOnes() throws {
        let folder = TestFolders.path("stale")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A process that has ended: its pid names no running process.
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        #expect(posix_spawn(&child, "/bin/true", nil, nil, argv, nil) == 0)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let stale = ".model.safetensors.tmp-\(child)-12345"
        let live = ".model.safetensors.tmp-1-777"  // pid 1 always runs
        let foreign = ".notes.tmp-file"            // not our pattern
        for name in [stale, live, foreign] { #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data([1]))) }
        try Files.writeAtomically([7], to: folder + "/model.safetensors")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(left == [live, foreign, "model.safetensors"].sorted())
    }

    @Test func readingAMissingFileNamesIt() {
        #expect(throws: FileError(path: "/nonexistent/x", reason: "no such file")) { try Files.read("/nonexistent/x") }
    }
}

@Suite struct RandomTests {
    @Test func sameSeedSameStreamAndSeedsDiffer() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(first != (0..<100).map { _ in c.next() })
    }

    @Test func boundedDrawsStayInRangeAndCoverIt() {
        var generator = SeededGenerator(seed: 1)
        var seen = Set<Int>()
        for _ in 0..<10_000 {
            let value = generator.nextIndex(below: 7)
            #expect(value >= 0 && value < 7)
            seen.insert(value)
        }
        #expect(seen.count == 7)
        let floats = (0..<10_000).map { _ in generator.nextFloat(symmetricBound: 0.2) }
        #expect(floats.allSatisfy { $0 >= -0.2 && $0 < 0.2 })
        #expect(abs(floats.reduce(0, +) / 10_000) < 0.01)
    }

    @Test func shuffleIsAPermutation() {
        var generator = SeededGenerator(seed: 9)
        var values = Array(0..<1000)
        generator.shuffle(&values)
        #expect(values != Array(0..<1000))
        #expect(values.sorted() == Array(0..<1000))
    }
}
