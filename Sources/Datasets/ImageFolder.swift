import Foundation
import Imaging
import Support

/// Images in a folder with one subfolder per class, as torchvision's ImageFolder reads them:
/// `PATH/<class name>/<any name>.png|.jpg|.jpeg|.pgm|.ppm|.pbm`. Class names are the subfolder names in sorted
/// order; each image, of any size, is prepared like `lenet predict`'s input (MNIST-style 28x28).
public enum ImageFolder {
    /// The file extensions read as images (lowercased before comparing).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "pgm", "ppm", "pbm", "pnm"]

    /// Why a folder could not be read as a data set; each case names the folder or file.
    public enum LoadError: Error, CustomStringConvertible, Equatable {
        /// The path is not a folder.
        case notAFolder(String)
        /// The folder has no class subfolders.
        case noClasses(String)
        /// A class folder holds no image.
        case emptyClass(folder: String)
        /// An image could not be read; `reason` says why.
        case badImage(file: String, reason: String)
        /// More classes than a label byte can hold.
        case tooManyClasses(folder: String, count: Int)
        /// A file or folder could not be read.
        case unreadable(FileError)
        /// A name is not valid UTF-8.
        case nameNotUTF8(folder: String, name: String)

        /// The message to show: the file or field, what was expected and what was found.
        public var description: String {
            switch self {
            case .notAFolder(let path): return "\(path): expected a folder with one subfolder of images per class"
            case .noClasses(let path): return "\(path): no class subfolders found (expected PATH/<class>/<image>.png)"
            case .emptyClass(let folder): return "\(folder): a class folder without any PNG, JPEG or PGM/PPM/PBM image"
            case .badImage(let file, let reason): return "\(file): \(reason)"
            case .tooManyClasses(let folder, let count): return "\(folder): \(count) class folders; at most 255 are supported"
            case .unreadable(let error): return error.description
            case .nameNotUTF8(let folder, let name):
                return "\(folder): the name of '\(name)' is not valid UTF-8 (shown with U+FFFD for the bytes that are not); rename it, since class names and files are named in UTF-8"
            }
        }
    }

    /// Every image of every class, prepared; labels are class indices in sorted-name order. Hidden
    /// entries (starting with ".") are skipped; a class folder or an image whose name is not UTF-8
    /// is an error that names it, as is any image that cannot be read (a device, a FIFO, a folder
    /// named like a picture: each said as what it is). A picture that reads but shows no ink (a
    /// photo too faint, a blank page) enters as a blank image, so that an evaluation counts it and
    /// goes on; `log` is told how many did, and the first of them with the reason. `confidence`
    /// (a model's certainty about a 28x28) chooses where a picture reads two ways, as `lenet
    /// predict` does (`DigitPreprocessing.prepared(_:confidence:)`).
    public static func load(_ path: String, log: (String) -> Void = { _ in },
                            confidence: ((_ digit: [UInt8]) -> Double)? = nil) throws -> LabeledImages {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw LoadError.notAFolder(path)
        }
        func entries(_ folder: String) throws -> [Files.Entry] {
            do { return try Files.entries(of: folder).filter { !$0.name.hasPrefix(".") } } catch { throw LoadError.unreadable(error) }
        }
        let classEntries = try entries(path).filter(\.isFolder)
        if let bad = classEntries.first(where: { !$0.isUTF8 }) { throw LoadError.nameNotUTF8(folder: path, name: bad.name) }
        let classes = classEntries.map(\.name).sorted()
        guard !classes.isEmpty else { throw LoadError.noClasses(path) }
        guard classes.count <= 255 else { throw LoadError.tooManyClasses(folder: path, count: classes.count) }
        var pixels: [UInt8] = [], labels: [UInt8] = []
        var blank: [(file: String, reason: String)] = []
        for (label, name) in classes.enumerated() {
            let folder = (path as NSString).appendingPathComponent(name)
            let images = try entries(folder).filter { extensions.contains(($0.name as NSString).pathExtension.lowercased()) }
            if let bad = images.first(where: { !$0.isUTF8 }) { throw LoadError.nameNotUTF8(folder: folder, name: bad.name) }
            let files = images.map(\.name).sorted()
            guard !files.isEmpty else { throw LoadError.emptyClass(folder: folder) }
            for file in files {
                let filePath = (folder as NSString).appendingPathComponent(file)
                do {
                    pixels += try DigitPreprocessing.prepare(try ImageFile.readGrey(filePath), confidence: confidence)
                } catch let DigitPreprocessing.Failure.noInk(reason) {
                    pixels += [UInt8](repeating: 0, count: DigitPreprocessing.side * DigitPreprocessing.side)
                    blank.append((filePath, reason))
                } catch let error as ImageFileError {
                    throw LoadError.badImage(file: filePath, reason: error.description.replacingOccurrences(of: filePath + ": ", with: ""))
                } catch {
                    throw LoadError.badImage(file: filePath, reason: "\(error)")
                }
                labels.append(UInt8(label))
            }
        }
        if let first = blank.first {
            log("\(path): \(blank.count) of \(labels.count) pictures show no ink and count as blank images (the first, \(first.file): \(first.reason))")
        }
        return LabeledImages(count: labels.count, rows: 28, columns: 28, pixels: pixels, labels: labels,
                             classCount: classes.count, classNames: classes)
    }

    /// Splits `data` into training and test images: in each class, a seeded shuffle, then the
    /// first `testShare` of the class is the test set. The same data and seed give the same split.
    public static func split(_ data: LabeledImages, testShare: Double, seed: UInt64 = 0) -> (train: LabeledImages, test: LabeledImages) {
        var generator = SeededGenerator(seed: seed ^ 0x5350_4c49_5421)
        var trainIndices: [Int] = [], testIndices: [Int] = []
        for c in 0..<data.classCount {
            var members = (0..<data.count).filter { Int(data.labels[$0]) == c }
            members.shuffle(using: &generator)
            let testCount = Int((Double(members.count) * testShare).rounded())
            testIndices += members.prefix(testCount)
            trainIndices += members.dropFirst(testCount)
        }
        func subset(_ indices: [Int]) -> LabeledImages {
            let sorted = indices.sorted()
            return LabeledImages(count: sorted.count, rows: data.rows, columns: data.columns,
                                 pixels: sorted.flatMap { data.image($0) }, labels: sorted.map { data.labels[$0] },
                                 classCount: data.classCount, classNames: data.classNames)
        }
        return (subset(trainIndices), subset(testIndices))
    }
}
