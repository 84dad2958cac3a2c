import Foundation
import Support

/// A data set stored as four IDX files (training and test images and labels), the way MNIST,
/// Fashion-MNIST and EMNIST are published, found in torchvision's layout `<root>/<Folder>/raw/`
/// (or in a system folder such as Debian's), gzipped or not.
public struct IDXDataSet: Sendable {
    /// One of the four files: its name and what it must hold.
    public struct FileSpec: Sendable, Equatable {
        /// The file's name without `.gz`: "train-images-idx3-ubyte".
        public var name: String
        /// SHA-256 of the decompressed content, when known.
        public var sha256: String?
        /// The decompressed size in bytes, when known.
        public var byteCount: Int? = nil
        /// SHA-256 of one gzipped file known to hold that content (the copy this project ships, or a
        /// package's): such a file's content is not hashed again.
        public var gzipSHA256: String? = nil
    }

    /// The name given to `--dataset`.
    public var name: String
    /// torchvision's folder under the root: MNIST, FashionMNIST, EMNIST.
    public var folderName: String
    /// The four files: training images and labels, test images and labels.
    public var trainImages: FileSpec, trainLabels: FileSpec, testImages: FileSpec, testLabels: FileSpec
    /// Where `lenet download` fetches the files from, in order (empty: not downloadable).
    public var mirrors: [String]
    /// The classes' names, label 0 first.
    public var classNames: [String]
    /// Other folders holding the files directly (checked after the root).
    public var systemFolders: [String]
    /// EMNIST stores each image transposed (column-major).
    public var transposed: Bool
    /// EMNIST letters numbers its classes from 1.
    public var labelOffset: Int
    /// Said when a file is missing and cannot be downloaded.
    public var howToGet: String

    /// The four files, training images first.
    public var allFiles: [FileSpec] { [trainImages, trainLabels, testImages, testLabels] }

    /// The folder under `root` where the files belong: `<root>/<folderName>/raw`.
    public func folder(root: String) -> String {
        (root as NSString).appendingPathComponent("\(folderName)/raw")
    }

    /// Where `file` is: under the root, else in a system folder; uncompressed or gzipped.
    public func locate(_ file: FileSpec, root: String) -> String? {
        for folder in [folder(root: root)] + systemFolders {
            let base = (folder as NSString).appendingPathComponent(file.name)
            for candidate in [base, base + ".gz"] where FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The files found neither under `root` nor in a system folder.
    public func missingFiles(root: String) -> [FileSpec] { allFiles.filter { locate($0, root: root) == nil } }

    /// Loads one split: checks the files (and their checksums when known), un-transposes and
    /// renumbers as the data set needs.
    public func load(_ split: MNIST.Split, root: String) throws(DatasetError) -> LabeledImages {
        let (images, labels) = split == .train ? (trainImages, trainLabels) : (testImages, testLabels)
        let hint = howToGet.isEmpty ? "Run `lenet download --dataset \(name) --data \(root)` or place the files in \(folder(root: root))/." : howToGet
        guard let imagesPath = locate(images, root: root) else {
            throw .missing(file: (folder(root: root) as NSString).appendingPathComponent(images.name + "[.gz]"), hint: hint)
        }
        guard let labelsPath = locate(labels, root: root) else {
            throw .missing(file: (folder(root: root) as NSString).appendingPathComponent(labels.name + "[.gz]"), hint: hint)
        }
        let checksums = images.sha256.flatMap { i in labels.sha256.map { (i, $0) } }
        var data = try LabeledImages.load(images: imagesPath, labels: labelsPath, classCount: classNames.count + labelOffset,
                                          expectedSHA256: checksums, gzipSHA256: (images.gzipSHA256, labels.gzipSHA256),
                                          expectedBytes: (images.byteCount, labels.byteCount))
        if labelOffset > 0 {
            if let bad = data.labels.firstIndex(where: { Int($0) < labelOffset }) {
                throw .labelOutOfRange(file: labelsPath, index: bad, label: Int(data.labels[bad]), classes: classNames.count + labelOffset)
            }
            data.labels = data.labels.map { $0 - UInt8(labelOffset) }
        }
        if transposed {
            let (rows, columns) = (data.rows, data.columns)
            var pixels = [UInt8](repeating: 0, count: data.pixels.count)
            for n in 0..<data.count {
                let base = n * rows * columns
                for y in 0..<columns { for x in 0..<rows { pixels[base + y * rows + x] = data.pixels[base + x * columns + y] } }
            }
            data.pixels = pixels
            (data.rows, data.columns) = (columns, rows)
        }
        data.classCount = classNames.count
        data.classNames = classNames
        return data
    }

    /// Downloads the files missing under `root` from the mirrors, checked against their checksums, into
    /// `folder(root:)`; `log` hears each step. Throws `.missing` when a file is missing and there is no
    /// mirror.
    public func downloadMissing(root: String, downloader: Downloader, log: @Sendable (String) -> Void) async throws(DatasetError) {
        let missing = missingFiles(root: root)
        guard !missing.isEmpty else { return }
        guard !mirrors.isEmpty else {
            throw .missing(file: (folder(root: root) as NSString).appendingPathComponent(missing[0].name + "[.gz]"), hint: howToGet)
        }
        for file in missing {
            _ = try await downloader.download(DownloadableFile(name: file.name, sha256: file.sha256 ?? "", byteCount: file.byteCount), into: folder(root: root), log: log)
        }
    }

    /// MNIST (LeCun, Cortes, Burges), its files as published, found under `<root>/MNIST/raw`.
    public static let mnist = IDXDataSet(
        name: "mnist", folderName: "MNIST",
        trainImages: .init(MNIST.trainImages),
        trainLabels: .init(MNIST.trainLabels),
        testImages: .init(MNIST.testImages),
        testLabels: .init(MNIST.testLabels),
        mirrors: MNIST.defaultMirrors, classNames: (0..<10).map(String.init), systemFolders: [],
        transposed: false, labelOffset: 0, howToGet: "")

    /// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): Zalando's article images in MNIST's format. The
    /// checksums are of the decompressed files of Debian's dataset-fashion-mnist package
    /// (0.0~git20200523.55506a9-1), which installs them in /usr/share/datasets/fashion-mnist/, and
    /// of that package's gzipped files.
    public static let fashionMNIST = IDXDataSet(
        name: "fashion-mnist", folderName: "FashionMNIST",
        trainImages: .init(name: "train-images-idx3-ubyte", sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", byteCount: 47_040_016,
                           gzipSHA256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
        trainLabels: .init(name: "train-labels-idx1-ubyte", sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", byteCount: 60_008,
                           gzipSHA256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
        testImages: .init(name: "t10k-images-idx3-ubyte", sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", byteCount: 7_840_016,
                           gzipSHA256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
        testLabels: .init(name: "t10k-labels-idx1-ubyte", sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", byteCount: 10_008,
                           gzipSHA256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
        mirrors: ["https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                  "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        systemFolders: ["/usr/share/datasets/fashion-mnist"], transposed: false, labelOffset: 0, howToGet: "")

    /// EMNIST (Cohen, Afshar, Tapson, van Schaik 2017) splits, with their class counts.
    public static let emnistSplits: [String: Int] = ["byclass": 62, "bymerge": 47, "balanced": 47, "letters": 26, "digits": 10, "mnist": 10]

    /// The characters of an EMNIST split's classes, from its mapping file.
    public static func emnistClassNames(_ split: String) -> [String] {
        let digits = (0..<10).map(String.init)
        let upper = (UnicodeScalar("A").value...UnicodeScalar("Z").value).map { String(UnicodeScalar($0)!) }
        let lower = (UnicodeScalar("a").value...UnicodeScalar("z").value).map { String(UnicodeScalar($0)!) }
        switch split {
        case "byclass": return digits + upper + lower
        case "bymerge", "balanced": return digits + upper + ["a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t"]
        case "letters": return upper
        default: return digits
        }
    }

    /// EMNIST, split `split`: files `emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte[.gz]`
    /// under `<root>/EMNIST/raw/`. Images are stored transposed and letters' labels start at 1; both
    /// are undone on loading. EMNIST is published as one 535 MB zip, not as files a mirror serves
    /// one by one, so it is not downloaded here.
    public static func emnist(_ split: String) -> IDXDataSet? {
        guard emnistSplits[split] != nil else { return nil }
        let stem = "emnist-\(split)-"
        return IDXDataSet(
            name: "emnist-\(split)", folderName: "EMNIST",
            trainImages: .init(name: stem + "train-images-idx3-ubyte", sha256: nil), trainLabels: .init(name: stem + "train-labels-idx1-ubyte", sha256: nil),
            testImages: .init(name: stem + "test-images-idx3-ubyte", sha256: nil), testLabels: .init(name: stem + "test-labels-idx1-ubyte", sha256: nil),
            mirrors: [], classNames: emnistClassNames(split), systemFolders: [], transposed: true, labelOffset: split == "letters" ? 1 : 0,
            howToGet: "EMNIST is published as one zip (https://www.nist.gov/itl/products-and-services/emnist-dataset, \"gzip.zip\"); unzip its gzip/ folder's emnist-\(split)-* files into <root>/EMNIST/raw/.")
    }
}

extension IDXDataSet.FileSpec {
    /// One of MNIST's files, with all it is known by.
    init(_ file: MNIST.FileSpec) {
        self.init(name: file.name, sha256: file.sha256, byteCount: file.byteCount, gzipSHA256: file.gzipSHA256)
    }
}
