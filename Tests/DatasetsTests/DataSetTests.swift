import Foundation
import Imaging
import Support
import Testing
@testable import Datasets

/// EMNIST (from files generated in its layout: no copy exists on this machine), Fashion-MNIST's
/// names and locations, and image folders.
@Suite struct DataSetTests {
    /// Writes EMNIST-style files for `split` under root/EMNIST/raw: 3 images of 28x28 stored
    /// transposed (each has one ink pixel at row r, column c; stored at [c][r]), with `labels`.
    static func writeEMNIST(root: String, split: String, labels: [UInt8], gzip: Bool) throws -> [(row: Int, column: Int)] {
        let folder = root + "/EMNIST/raw"
        let spots = [(2, 20), (5, 9), (27, 0)]
        var pixels = [UInt8](repeating: 0, count: 3 * 784)
        for (n, spot) in spots.enumerated() { pixels[n * 784 + spot.1 * 28 + spot.0] = 255 }  // transposed storage
        for part in ["train", "test"] {
            var images = IDX.encode(dimensions: [3, 28, 28], bytes: pixels)
            var labelBytes = IDX.encode(dimensions: [3], bytes: labels)
            if gzip {
                images = try Zlib.deflate(images, container: .gzip)
                labelBytes = try Zlib.deflate(labelBytes, container: .gzip)
            }
            let suffix = gzip ? ".gz" : ""
            try Files.writeAtomically(images, to: "\(folder)/emnist-\(split)-\(part)-images-idx3-ubyte\(suffix)")
            try Files.writeAtomically(labelBytes, to: "\(folder)/emnist-\(split)-\(part)-labels-idx1-ubyte\(suffix)")
        }
        return spots.map { (row: $0.0, column: $0.1) }
    }

    @Test func emnistImagesAreUntransposedAndLettersRenumbered() throws {
        let root = temporaryFolder()
        let spots = try Self.writeEMNIST(root: root, split: "letters", labels: [1, 26, 13], gzip: true)
        let set = try #require(IDXDataSet.emnist("letters"))
        let data = try set.load(.train, root: root)
        #expect(data.classCount == 26 && data.labels == [0, 25, 12])
        #expect([0, 25, 12].map { data.classNames[$0] } == ["A", "Z", "M"])
        for (n, spot) in spots.enumerated() {
            let image = Array(data.image(n))
            #expect(image[spot.row * 28 + spot.column] == 255, "image \(n)")
            #expect(image.filter { $0 != 0 }.count == 1)
        }
        // Letters' labels start at 1: a 0 is out of range, and so is 27.
        let bad = temporaryFolder()
        _ = try Self.writeEMNIST(root: bad, split: "letters", labels: [1, 0, 2], gzip: false)
        #expect(throws: DatasetError.self) { try set.load(.test, root: bad) }
    }

    @Test func emnistSplitsHaveTheirClassCountsAndCharacters() throws {
        for (split, count) in IDXDataSet.emnistSplits {
            let set = try #require(IDXDataSet.emnist(split))
            #expect(set.classNames.count == count, "\(split)")
            #expect(Set(set.classNames).count == count, "\(split): names are distinct")
        }
        #expect(IDXDataSet.emnistClassNames("balanced").suffix(11) == ["a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t"])
        #expect(IDXDataSet.emnistClassNames("byclass")[36] == "a")
        #expect(IDXDataSet.emnist("nonsense") == nil)
        let root = temporaryFolder()
        _ = try Self.writeEMNIST(root: root, split: "balanced", labels: [0, 46, 10], gzip: false)
        let data = try IDXDataSet.emnist("balanced")!.load(.test, root: root)
        #expect(data.labels.map { data.classNames[Int($0)] } == ["0", "t", "A"])
        // A label past the split's classes is an error that names the file.
        let bad = temporaryFolder()
        _ = try Self.writeEMNIST(root: bad, split: "digits", labels: [0, 10, 1], gzip: false)
        #expect(performing: { try IDXDataSet.emnist("digits")!.load(.train, root: bad) }, throws: { error in
            "\(error)".contains("emnist-digits-train-labels-idx1-ubyte: label 1 is 10, expected 0...9")
        })
    }

    @Test func missingEMNISTFilesSayHowToGetThem() {
        #expect(performing: { try IDXDataSet.emnist("mnist")!.load(.train, root: temporaryFolder()) }, throws: { error in
            "\(error)".contains("EMNIST/raw/emnist-mnist-train-images-idx3-ubyte[.gz]: no such file") && "\(error)".contains("gzip.zip")
        })
    }

    @Test func fashionMNISTHasItsNamesAndIsFoundWhereDebianPutsIt() throws {
        let set = IDXDataSet.fashionMNIST
        #expect(set.classNames == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        #expect(set.folder(root: "data") == "data/FashionMNIST/raw")
        let debian = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: debian + "/t10k-labels-idx1-ubyte.gz") else { return }
        // With Debian's package installed (CI installs it): the test set loads and verifies.
        let test = try set.load(.test, root: temporaryFolder())
        #expect(test.count == 10_000 && test.classCount == 10)
        #expect((0..<10).allSatisfy { c in test.labels.filter { Int($0) == c }.count == 1_000 })
        // The package's gzip digests stand in for their content's: each names a file holding it.
        for file in set.allFiles {
            let path = debian + "/" + file.name + ".gz"
            #expect(SHA256.hex(try Files.read(path)) == file.gzipSHA256, "\(path)")
            #expect(SHA256.hex(try IDX.contents(of: path)) == file.sha256, "\(path)")
        }
    }

    /// A folder of three classes of PNG and PGM pictures of different sizes.
    static func writeFolder(_ root: String) throws {
        for (c, name) in ["circle", "cross", "line"].enumerated() {
            for k in 0..<5 {
                let side = 20 + 7 * k
                var pixels = [UInt8](repeating: 255, count: side * side)
                for y in 0..<side {
                    for x in 0..<side {
                        let u = Double(x) / Double(side) - 0.5, v = Double(y) / Double(side) - 0.5
                        let ink: Bool
                        switch c {
                        case 0: ink = abs((u * u + v * v).squareRoot() - 0.3) < 0.06
                        case 1: ink = abs(u - v) < 0.06 || abs(u + v) < 0.06
                        default: ink = abs(u) < 0.05 && abs(v) < 0.4
                        }
                        if ink { pixels[y * side + x] = 0 }
                    }
                }
                let image = Image(width: side, height: side, channels: 1, pixels: pixels)
                if k % 2 == 0 {
                    try PNG.write(image, to: "\(root)/\(name)/\(k).png")
                } else {
                    try Files.writeAtomically(Array("P5\n\(side) \(side)\n255\n".utf8) + pixels, to: "\(root)/\(name)/\(k).pgm")
                }
            }
        }
        try Files.writeAtomically(Array("not an image".utf8), to: "\(root)/line/notes.txt")
    }

    @Test func anImageFolderIsReadAndSplitReproducibly() throws {
        let root = temporaryFolder()
        try Self.writeFolder(root)
        let data = try ImageFolder.load(root)
        #expect(data.classNames == ["circle", "cross", "line"])
        #expect(data.count == 15 && data.labels == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
        #expect(data.rows == 28 && data.columns == 28)
        let (train, test) = ImageFolder.split(data, testShare: 0.4)
        #expect(train.count == 9 && test.count == 6)
        #expect((0..<3).allSatisfy { c in test.labels.filter { Int($0) == c }.count == 2 })
        let again = ImageFolder.split(data, testShare: 0.4)
        #expect(again.test.pixels == test.pixels && again.train.labels == train.labels)
    }

    @Test func aBrokenImageInAFolderIsNamed() throws {
        let root = temporaryFolder()
        try Self.writeFolder(root)
        try Files.writeAtomically(Array("P5\n10 10\n255\n".utf8) + [1, 2, 3], to: "\(root)/cross/broken.pgm")
        #expect(performing: { try ImageFolder.load(root) }, throws: { error in
            "\(error)" == "\(root)/cross/broken.pgm: malformed image: truncated: 3 bytes of pixels, expected 100"
        })
        #expect(performing: { try ImageFolder.load(root + "/nowhere") }, throws: { error in
            "\(error)".contains("expected a folder with one subfolder of images per class")
        })
    }
}
