import Foundation
import Imaging
import Support

/// Images in a folder with one subfolder per class, as torchvision's ImageFolder reads them:
/// `PATH/<class name>/<any name>.png|.jpg|.jpeg|.pgm|.ppm|.pbm`. Class names are the subfolder names in sorted
/// order; each image, of any size, is prepared like `lenet predict`'s input (MNIST-style 28x28).
public enum ImageFolder {
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "pgm", "ppm", "pbm", "pnm"]

    public enum LoadError: Error, CustomStringConvertible, Equatable {
        case notAFolder(String)
        case noClasses(String)
        case emptyClass(folder: String)
        case badImage(file: String, reason: String)
        case tooManyClasses(folder: String, count: Int)

        public var description: String {
            switch self {
            case .notAFolder(let path): return "\(path): expected a folder with one subfolder of images per class"
            case .noClasses(let path): return "\(path): no class subfolders found (expected PATH/<class>/<image>.png)"
            case .emptyClass(let folder): return "\(folder): a class folder without any PNG, JPEG or PGM/PPM/PBM image"
            case .badImage(let file, let reason): return "\(file): \(reason)"
            case .tooManyClasses(let folder, let count): return "\(folder): \(count) class folders; at most 255 are supported"
            }
        }
    }

    /// Every image of every class, prepared; labels are class indices in sorted-name order.
    public static func load(_ path: String) throws -> LabeledImages {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw LoadError.notAFolder(path)
        }
        let classes = try FileManager.default.contentsOfDirectory(atPath: path).filter { name in
            var sub: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &sub) && sub.boolValue
        }.sorted()
        guard !classes.isEmpty else { throw LoadError.noClasses(path) }
        guard classes.count <= 255 else { throw LoadError.tooManyClasses(folder: path, count: classes.count) }
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for (label, name) in classes.enumerated() {
            let folder = (path as NSString).appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".") }.sorted()
            guard !files.isEmpty else { throw LoadError.emptyClass(folder: folder) }
            for file in files {
                let filePath = (folder as NSString).appendingPathComponent(file)
                do {
                    pixels += try DigitPreprocessing.prepare(try ImageFile.readGrey(filePath))
                } catch let error as ImageFileError {
                    throw LoadError.badImage(file: filePath, reason: error.description.replacingOccurrences(of: filePath + ": ", with: ""))
                } catch {
                    throw LoadError.badImage(file: filePath, reason: "\(error)")
                }
                labels.append(UInt8(label))
            }
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
