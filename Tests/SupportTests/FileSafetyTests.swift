import Foundation
import TestFolders
import Testing
@testable import Support

/// What `Files.read` and `Files.writeAtomically` do with what is not a regular file: a device, a
/// FIFO, a folder, links to them, a loop of links, a file past the limit. Each is an error that
/// says what was found, at once (a FIFO does not make a read wait, /dev/zero does not fill memory),
/// and nothing that is not a regular file is ever replaced.
@Suite struct FileSafetyTests {
    let folder: String = {
        let path = TestFolders.path("file-safety")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func fifo(_ name: String) throws -> String {
        let path = folder + "/" + name
        #expect(mkfifo(path, 0o644) == 0)
        return path
    }

    func link(_ name: String, to target: String) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        return path
    }

    func readError(_ path: String, maximumBytes: Int = Files.defaultMaximumBytes) -> String {
        do {
            _ = try Files.read(path, maximumBytes: maximumBytes)
            return "(read)"
        } catch {
            #expect(error.path == path)
            return error.reason
        }
    }

    @Test func readingWhatIsNotARegularFileIsAnErrorThatSaysWhatItIs() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let start = MonotonicClock.now()
        #expect(readError("/dev/zero").contains("character device"))
        #expect(readError(try link("zero.png", to: "/dev/zero")).contains("character device"))
        #expect(readError(try fifo("pipe.png")).contains("FIFO"))
        #expect(readError(try link("to-pipe.png", to: folder + "/pipe.png")).contains("FIFO"))
        #expect(readError(folder).contains("a folder"))
        #expect(readError(folder + "/missing.png") == "no such file")
        _ = try link("loop-a", to: folder + "/loop-b")
        _ = try link("loop-b", to: folder + "/loop-a")
        #expect(readError(folder + "/loop-a").contains("loop of symbolic links"))
        #expect(readError(try link("dangling.png", to: folder + "/nowhere.png")) == "no such file")
        // All of it at once: nothing waited for a writer or read a device.
        #expect(MonotonicClock.now() - start < 2)
    }

    @Test func aFileOverTheLimitIsRefusedBeforeItIsRead() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A sparse file of 8 GB costs nothing on disk and would cost 8 GB to read.
        let path = folder + "/sparse.bin"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 8 << 30) == 0)
        #expect(readError(path).contains("over the limit of \(Files.defaultMaximumBytes) bytes"))
        try Files.writeAtomically([1, 2, 3, 4, 5], to: path)
        #expect(readError(path, maximumBytes: 4).contains("5 bytes, over the limit of 4"))
        #expect(try Files.read(path, maximumBytes: 5) == [1, 2, 3, 4, 5])
        #expect(try Files.read(path) == [1, 2, 3, 4, 5])
    }

    func writeError(_ path: String) -> String {
        do {
            try Files.writeAtomically([1, 2, 3], to: path)
            return "(written)"
        } catch {
            return error.description
        }
    }

    func kind(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    @Test func aWriteNeverReplacesADeviceAFIFOOrAFolder() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pipe = try fifo("pipe.onnx")
        #expect(writeError(pipe).contains("is a FIFO"))
        #expect(kind(pipe) == S_IFIFO)
        // A link to a device: /dev/null stays /dev/null (as root, a rename over it would replace it).
        let null = try link("null.onnx", to: "/dev/null")
        #expect(writeError(null).contains("character device"))
        #expect(writeError(null).contains("/dev/null"))
        #expect(kind("/dev/null") == S_IFCHR && kind(null) == S_IFLNK)
        #expect(writeError("/dev/null").contains("character device"))
        #expect(writeError(folder).contains("is a folder"))
        #expect(writeError(try link("dangling.onnx", to: folder + "/nowhere/x.onnx")).contains("does not exist"))
        // No temporary file was left behind by any of them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).allSatisfy { !$0.contains(Files.temporaryMarker) })
    }

    @Test func aWriteThroughASymbolicLinkReplacesTheFileItLeadsTo() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/runs", withIntermediateDirectories: true)
        try Files.writeAtomically([9, 9], to: folder + "/runs/model.safetensors")
        let link = try link("model.safetensors", to: "runs/model.safetensors")
        try Files.writeAtomically([1, 2, 3], to: link)
        #expect(kind(link) == S_IFLNK)
        #expect(try Files.read(folder + "/runs/model.safetensors") == [1, 2, 3])
        #expect(try Files.read(link) == [1, 2, 3])
    }

    @Test func folderEntriesWhoseNamesAreNotUTF8AreSeen() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // "caf\xe9" in Latin-1: a folder and a file.
        for (name, isFolder) in [([0x63, 0x61, 0x66, 0xE9] as [UInt8], true), ([0x78, 0xFF, 0x2E, 0x70, 0x6E, 0x67], false)] {
            let path = Array(folder.utf8) + [0x2F] + name + [0]
            let made = path.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { isFolder ? mkdir($0.baseAddress!, 0o755) : creat($0.baseAddress!, 0o644) }
            }
            #expect(made >= 0)
        }
        try Files.writeAtomically([1], to: folder + "/plain.png")
        let entries = try Files.entries(of: folder).sorted { $0.name < $1.name }
        #expect(entries.map(\.name) == ["caf\u{FFFD}", "plain.png", "x\u{FFFD}.png"])
        #expect(entries.map(\.isUTF8) == [false, true, false])
        #expect(entries.map(\.isFolder) == [true, false, false])
    }

    /// `readStart` reads only the beginning, and refuses what `read` refuses, at once.
    @Test func readingTheStartOfAFileReadsNoMoreAndRefusesWhatIsNotAFile() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/start.txt"
        try Files.writeAtomically(Array("# Training report: lenet5 on mnist\n".utf8), to: path)
        #expect(try Files.readStart(path, count: 17) == Array("# Training report".utf8))
        #expect(try Files.readStart(path, count: 1000) == Array("# Training report: lenet5 on mnist\n".utf8))
        let start = MonotonicClock.now()
        #expect(throws: FileError.self) { try Files.readStart("/dev/zero", count: 8) }
        #expect(throws: FileError.self) { try Files.readStart(try fifo("start-pipe"), count: 8) }
        #expect(throws: FileError.self) { try Files.readStart(folder, count: 8) }
        #expect(MonotonicClock.now() - start < 2)
    }

    /// The newest run's file is chosen by its time, not by the run folder's name; what is not a
    /// regular file, and what `accept` turns down, is passed over.
    @Test func theNewestRunFileIsChosenByTimeAndOnlyAmongRegularFilesAccepted() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let runs = folder + "/runs"
        func run(_ name: String, secondsAgo: Double) throws -> String {
            let path = runs + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Files.writeAtomically(Array(name.utf8), to: path + "/model.safetensors")
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -secondsAgo)],
                                                  ofItemAtPath: path + "/model.safetensors")
            return path + "/model.safetensors"
        }
        #expect(Files.newest("model.safetensors", inRunsOf: runs) == nil)
        _ = try run("2026-01-03", secondsAgo: 300)
        let newer = try run("2026-01-01", secondsAgo: 100)
        let newest = try run("a-named-run", secondsAgo: 10)
        #expect(Files.newest("model.safetensors", inRunsOf: runs) == newest)
        #expect(Files.newest("model.safetensors", inRunsOf: runs) { !$0.hasSuffix("a-named-run") } == newer)
        // A FIFO in a newer run's place is skipped (reading it could wait forever).
        try FileManager.default.createDirectory(atPath: runs + "/pipe", withIntermediateDirectories: true)
        #expect(mkfifo(runs + "/pipe/model.safetensors", 0o644) == 0)
        #expect(Files.newest("model.safetensors", inRunsOf: runs) == newest)
        #expect(Files.newest("model.safetensors", inRunsOf: folder + "/missing") == nil)
    }
}
