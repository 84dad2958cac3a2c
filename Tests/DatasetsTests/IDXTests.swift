import Foundation
import TestFolders
import Testing
@testable import Datasets
import Support

func temporaryFolder() -> String {
    TestFolders.make("datasets")
}

/// A small IDX pair: `count` images of 4x3 whose pixels encode their index, and labels i % 10.
func writeIDXPair(in folder: String, count: Int = 5, gzip: Bool = false, imagesName: String = "images", labelsName: String = "labels",
                  labels: [UInt8]? = nil) throws -> (images: String, labels: String) {
    let pixels = (0..<(count * 12)).map { UInt8(truncatingIfNeeded: $0) }
    var imageBytes = IDX.encode(dimensions: [count, 4, 3], bytes: pixels)
    var labelBytes = IDX.encode(dimensions: [labels?.count ?? count], bytes: labels ?? (0..<count).map { UInt8($0 % 10) })
    if gzip {
        imageBytes = try Zlib.deflate(imageBytes, container: .gzip)
        labelBytes = try Zlib.deflate(labelBytes, container: .gzip)
    }
    let images = folder + "/" + imagesName + (gzip ? ".gz" : "")
    let labelsPath = folder + "/" + labelsName + (gzip ? ".gz" : "")
    try Files.writeAtomically(imageBytes, to: images)
    try Files.writeAtomically(labelBytes, to: labelsPath)
    return (images, labelsPath)
}

func expectError(_ expected: DatasetError, _ body: () throws -> Void) {
    #expect(performing: body, throws: { error in
        print("expected error: \(error)")
        return (error as? DatasetError) == expected
    })
}

@Suite struct IDXTests {
    @Test(arguments: [false, true])
    func readsPlainAndGzippedFiles(gzip: Bool) throws {
        let paths = try writeIDXPair(in: temporaryFolder(), count: 7, gzip: gzip)
        let data = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        #expect(data.count == 7 && data.rows == 4 && data.columns == 3)
        #expect(Array(data.image(2)) == (24..<36).map { UInt8($0) })
        #expect(data.labels == [0, 1, 2, 3, 4, 5, 6])
    }

    @Test func wrongMagicNumber() throws {
        let folder = temporaryFolder()
        let paths = try writeIDXPair(in: folder)
        // Swap the files: a labels file where images are expected.
        expectError(.badMagic(file: paths.labels, expected: "0x00000803", found: "0x00000801")) {
            _ = try LabeledImages.load(images: paths.labels, labels: paths.labels, classCount: 10)
        }
        var bytes = try Files.read(paths.images)
        bytes[2] = 0x0d  // float data
        try Files.writeAtomically(bytes, to: paths.images)
        expectError(.badMagic(file: paths.images, expected: "0x00000803", found: "0x00000d03")) {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        }
    }

    @Test func truncatedAndOverlongFiles() throws {
        let paths = try writeIDXPair(in: temporaryFolder(), count: 5)
        let bytes = try Files.read(paths.images)
        try Files.writeAtomically(Array(bytes.dropLast(7)), to: paths.images)
        expectError(.wrongLength(file: paths.images, expected: 16 + 60, found: 16 + 53)) {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        }
        try Files.writeAtomically(bytes + [0, 0], to: paths.images)
        expectError(.wrongLength(file: paths.images, expected: 76, found: 78)) {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        }
        try Files.writeAtomically(Array(bytes.prefix(6)), to: paths.images)
        expectError(.wrongLength(file: paths.images, expected: 16, found: 6)) {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        }
    }

    @Test func countMismatch() throws {
        let folder = temporaryFolder()
        let paths = try writeIDXPair(in: folder, count: 5, labels: [1, 2, 3])
        expectError(.countMismatch(images: paths.images, imageCount: 5, labels: paths.labels, labelCount: 3)) {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        }
    }

    @Test func labelOutOfRange() throws {
        let paths = try writeIDXPair(in: temporaryFolder(), count: 4, labels: [1, 2, 12, 3])
        expectError(.labelOutOfRange(file: paths.labels, index: 2, label: 12, classes: 10)) {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10)
        }
    }

    @Test func badGzip() throws {
        let paths = try writeIDXPair(in: temporaryFolder(), gzip: true)
        var bytes = try Files.read(paths.images)
        bytes = Array(bytes.prefix(bytes.count - 12))  // cut the stream short
        try Files.writeAtomically(bytes, to: paths.images)
        #expect(performing: { _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10) },
                throws: { error in
                    guard case .decompression(let file, let reason)? = error as? DatasetError else { return false }
                    print("expected error: \(error)")
                    return file == paths.images && reason.contains("truncated")
                })
    }

    @Test func missingFileIsNamed() {
        expectError(.unreadable(FileError(path: "/nonexistent/images", reason: "no such file"))) {
            _ = try LabeledImages.load(images: "/nonexistent/images", labels: "/nonexistent/labels", classCount: 10)
        }
    }

    @Test func checksumMismatchNamesTheFileAndBothDigests() throws {
        let paths = try writeIDXPair(in: temporaryFolder())
        let wrong = String(repeating: "0", count: 64)
        #expect(performing: {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10, expectedSHA256: (wrong, wrong))
        }, throws: { error in
            guard case .checksumMismatch(let file, let expected, let found)? = error as? DatasetError else { return false }
            return file == paths.images && expected == wrong && found.count == 64 && found != wrong
        })
    }

    @Test func aGzipFileWithItsKnownDigestStandsForItsContent() throws {
        let paths = try writeIDXPair(in: temporaryFolder(), count: 6, gzip: true)
        let gzipped = (images: SHA256.hex(try Files.read(paths.images)), labels: SHA256.hex(try Files.read(paths.labels)))
        let content = (images: SHA256.hex(try IDX.contents(of: paths.images)), labels: SHA256.hex(try IDX.contents(of: paths.labels)))
        let wrong = String(repeating: "0", count: 64)
        // Both digests right: loads.
        let data = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10, expectedSHA256: content,
                                          gzipSHA256: (gzipped.images, gzipped.labels))
        #expect(data.count == 6 && data.labels == [0, 1, 2, 3, 4, 5])
        // The gzipped file's digest matches: its content is not hashed again (the content digest
        // given here is wrong, and goes unread for the images).
        _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10, expectedSHA256: (wrong, content.labels),
                                   gzipSHA256: (gzipped.images, nil))
        // The gzipped file is not the one named: its content is checked, and the mismatch reported.
        #expect(performing: {
            _ = try LabeledImages.load(images: paths.images, labels: paths.labels, classCount: 10, expectedSHA256: (content.images, wrong),
                                       gzipSHA256: (gzipped.images, gzipped.images))
        }, throws: { error in
            guard case .checksumMismatch(let file, let expected, _)? = error as? DatasetError else { return false }
            return file == paths.labels && expected == wrong
        })
    }
}

@Suite struct MNISTTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func theShippedMNISTLoadsAndMatchesItsPublishedFacts() throws {
        let root = Self.repositoryRoot + "/data"
        let test = try MNIST.load(.test, root: root)
        #expect(test.count == 10_000 && test.rows == 28 && test.columns == 28)
        #expect(Array(test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        var counts = [Int](repeating: 0, count: 10)
        for label in test.labels { counts[Int(label)] += 1 }
        #expect(counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        let train = try MNIST.load(.train, root: root)
        counts = [Int](repeating: 0, count: 10)
        for label in train.labels { counts[Int(label)] += 1 }
        #expect(counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    }

    /// The shipped files' gzip digests stand in for their content's: each names a file that holds
    /// that content, byte for byte.
    @Test func theShippedGzipDigestsAreOfFilesWithThePublishedContent() throws {
        let folder = MNIST.folder(root: Self.repositoryRoot + "/data")
        for file in MNIST.allFiles {
            let path = folder + "/" + file.name + ".gz"
            #expect(SHA256.hex(try Files.read(path)) == file.gzipSHA256, "\(path)")
            let content = try IDX.contents(of: path)
            #expect(content.count == file.byteCount && SHA256.hex(content) == file.sha256, "\(path)")
        }
        #expect(IDXDataSet.mnist.allFiles.map(\.gzipSHA256) == MNIST.allFiles.map(\.gzipSHA256))
    }

    @Test func missingFilesSayHowToGetThem() {
        let root = temporaryFolder()
        #expect(MNIST.missingFiles(root: root).count == 4)
        #expect(performing: { _ = try MNIST.load(.train, root: root) }, throws: { error in
            let message = "\(error)"
            return message.contains(root + "/MNIST/raw/train-images-idx3-ubyte") && message.contains("lenet download")
        })
    }

    @Test func normalizationIsToTensorThenNormalize() {
        let table = Normalization.writeup.table
        #expect(table[0] == -1 && table[255] == 1)
        for p in 0..<256 { #expect(table[p] == (Float(p) / 255 - 0.5) / 0.5) }
        let data = LabeledImages(count: 2, rows: 1, columns: 2, pixels: [0, 255, 51, 204], labels: [3, 8], classCount: 10)
        var input = [Float](repeating: 0, count: 4)
        var labels = [Int32](repeating: 0, count: 2)
        let order = [1, 0]
        order.withUnsafeBufferPointer { Normalization.writeup.fill(data, indices: $0, input: &input, labels: &labels) }
        #expect(input == [table[51], table[204], -1, 1])
        #expect(labels == [8, 3])
    }

    /// `fill` computes sixteen pixels at a time where that gives the table's bits: every byte value,
    /// in images whose size is not a multiple of 16 (a tail from the table), for the write-up's
    /// normalization and for MNIST's mean and standard deviation (not a power of two).
    @Test(arguments: [(Float(0.5), Float(0.5)), (Float(0.1307), Float(0.3081))])
    func fillSixteenPixelsAtATimeGivesTheTablesBits(mean: Float, standardDeviation: Float) {
        let normalization = Normalization(mean: mean, standardDeviation: standardDeviation)
        let computesTable = normalization.computesTable
        #expect(computesTable)
        let table = normalization.table
        for p in 0..<256 { #expect(table[p].bitPattern == ((Float(p) / 255 - mean) / standardDeviation).bitPattern) }
        // Three images of 20x15 = 300 pixels (18 vectors of 16 and a tail of 12), the bytes cycling
        // through all 256 values from a different start in each.
        let size = 300, count = 3
        let pixels = (0..<(count * size)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / size * 45) }
        #expect(Set(pixels).count == 256)
        let data = LabeledImages(count: count, rows: 20, columns: 15, pixels: pixels, labels: [4, 1, 9], classCount: 10)
        var input = [Float](repeating: .nan, count: count * size)
        var labels = [Int32](repeating: -1, count: count)
        let order = [2, 0, 1]
        order.withUnsafeBufferPointer { normalization.fill(data, indices: $0, input: &input, labels: &labels) }
        var differing = 0
        for (slot, image) in order.enumerated() {
            for i in 0..<size where input[slot * size + i].bitPattern != table[Int(pixels[image * size + i])].bitPattern { differing += 1 }
        }
        #expect(differing == 0)
        #expect(labels == [9, 4, 1])
    }

    /// Found by the fuzzer (Fuzz/run.sh): a header whose three sizes multiply past Int.max used to
    /// trap on the overflow; now it is an error naming the file.
    @Test func dimensionsWhoseProductOverflowsAreAnError() throws {
        let content: [UInt8] = [0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]
        expectError(.badDimensions(file: "huge.idx", expected: "sizes whose product fits the file's 3 data bytes",
                                   found: [4_294_967_295, 4_294_967_295, 4_294_967_295])) {
            _ = try IDX.parse(content, rank: 3, file: "huge.idx")
        }
        // A header claiming more than the file holds, without overflow, is the same error.
        expectError(.badDimensions(file: "big.idx", expected: "sizes whose product fits the file's 1 data bytes", found: [1000, 28, 28])) {
            _ = try IDX.parse([0, 0, 8, 3, 0, 0, 3, 232, 0, 0, 0, 28, 0, 0, 0, 28, 9], rank: 3, file: "big.idx")
        }
    }
}
