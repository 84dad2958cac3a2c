import Foundation
import Support

/// MNIST (LeCun, Cortes, Burges): 60,000 training and 10,000 test digits, 28x28, labels 0-9,
/// found where torchvision keeps it: `<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`.
public enum MNIST {
    /// The 60,000 training images or the 10,000 test images.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60,000 training images.
        case train
        /// The 10,000 test images.
        case test
    }

    /// One of the four files, with the SHA-256 of its decompressed content, and that of the gzipped
    /// file this project ships in data/MNIST/raw/ (recompressed there, so the public mirrors'
    /// archives have other bytes: theirs are checked by their content).
    public struct FileSpec: Sendable, Equatable {
        /// The file's name without `.gz`.
        public var name: String
        /// SHA-256 of its decompressed content, as published.
        public var sha256: String
        /// Its decompressed size.
        public var byteCount: Int
        /// SHA-256 of the gzipped copy this project ships: a file with it is not hashed again.
        public var gzipSHA256: String? = nil
    }

    /// The four files, with their published checksums.
    public static let trainImages = FileSpec(name: "train-images-idx3-ubyte",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", byteCount: 47_040_016,
        gzipSHA256: "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971")
    /// The training labels: 60,000 bytes after an 8-byte header.
    public static let trainLabels = FileSpec(name: "train-labels-idx1-ubyte",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", byteCount: 60_008,
        gzipSHA256: "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203")
    /// The test images: 10,000 of 28x28 bytes after a 16-byte header.
    public static let testImages = FileSpec(name: "t10k-images-idx3-ubyte",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", byteCount: 7_840_016,
        gzipSHA256: "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be")
    /// The test labels: 10,000 bytes after an 8-byte header.
    public static let testLabels = FileSpec(name: "t10k-labels-idx1-ubyte",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", byteCount: 10_008,
        gzipSHA256: "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b")
    /// The four files: training images and labels, test images and labels.
    public static let allFiles = [trainImages, trainLabels, testImages, testLabels]

    /// Today's mirrors, in the order they are tried (each holds the four `.gz` files). The original
    /// host comes last: it lapsed and answers with an HTML page, which the downloader rejects.
    public static let defaultMirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://raw.githubusercontent.com/fgnt/mnist/master/",
        "http://yann.lecun.com/exdb/mnist/",
    ]

    /// `<root>/MNIST/raw`.
    public static func folder(root: String) -> String {
        (root as NSString).appendingPathComponent("MNIST/raw")
    }

    /// The images' and labels' files of one split.
    public static func files(for split: Split) -> (images: FileSpec, labels: FileSpec) {
        split == .train ? (trainImages, trainLabels) : (testImages, testLabels)
    }

    /// The path of `file` under `root`, uncompressed or gzipped, or nil when neither exists.
    public static func locate(_ file: FileSpec, root: String) -> String? {
        let base = (folder(root: root) as NSString).appendingPathComponent(file.name)
        for candidate in [base, base + ".gz"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// The files of `MNIST.allFiles` that are not under `root`.
    public static func missingFiles(root: String) -> [FileSpec] {
        allFiles.filter { locate($0, root: root) == nil }
    }

    /// The root of the MNIST this package ships (`data/`, holding `MNIST/raw/`), found as
    /// `PackageFolder.locate` finds files; `./data` when it is nowhere.
    public static var shippedRoot: String {
        guard let raw = PackageFolder.locate("data/MNIST/raw") else { return "./data" }
        return ((raw as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
    }

    /// Loads one split, verifying the decompressed content against the published checksums. With no
    /// `root`, the MNIST this package ships (`shippedRoot`).
    public static func load(_ split: Split, root: String = shippedRoot) throws(DatasetError) -> LabeledImages {
        let (images, labels) = files(for: split)
        let hint = "Run `lenet download --data \(root)` or place the MNIST files in \(folder(root: root))/."
        guard let imagesPath = locate(images, root: root) else {
            throw .missing(file: (folder(root: root) as NSString).appendingPathComponent(images.name + "[.gz]"), hint: hint)
        }
        guard let labelsPath = locate(labels, root: root) else {
            throw .missing(file: (folder(root: root) as NSString).appendingPathComponent(labels.name + "[.gz]"), hint: hint)
        }
        return try LabeledImages.load(images: imagesPath, labels: labelsPath, classCount: 10,
                                      expectedSHA256: (images.sha256, labels.sha256), gzipSHA256: (images.gzipSHA256, labels.gzipSHA256),
                                      expectedBytes: (images.byteCount, labels.byteCount))
    }

    /// Downloads whichever of the four files are missing under `root`.
    public static func downloadMissing(root: String, downloader: Downloader,
                                       log: @Sendable (String) -> Void) async throws(DatasetError) {
        for file in missingFiles(root: root) {
            _ = try await downloader.download(DownloadableFile(name: file.name, sha256: file.sha256, byteCount: file.byteCount),
                                              into: folder(root: root), log: log)
        }
    }
}
