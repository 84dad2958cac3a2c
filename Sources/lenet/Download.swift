import ArgumentParser
import Datasets
import Foundation
import Support

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download whichever files of a data set (MNIST by default) are missing under the data root.",
        discussion: """
            Each file is fetched as <mirror>/<name>.gz from the mirrors in order; a mirror that fails (network error, HTTP error, an HTML page instead of data, a corrupt stream, a checksum mismatch) is skipped for the next. Accepted files are written to a temporary name and renamed into <root>/MNIST/raw/. Files already present are checked against the published SHA-256 checksums.

            The repository ships MNIST in ./data, so this is only needed for another --data root or --dataset fashion-mnist (which is also found where Debian's dataset-fashion-mnist package puts it). EMNIST is published as one zip and is not downloaded; folder data sets have nothing to download.
            """)

    @OptionGroup var dataOptions: DataSourceOptions

    func run() async throws {
        try await reportingErrors {
            let root = dataOptions.data
            let set: IDXDataSet
            switch try dataOptions.choice() {
            case .idx(let named): set = named
            case .segments: set = .mnist
            case .folder: throw CommandError("--dataset folder:PATH has nothing to download")
            }
            let missing = set.missingFiles(root: root)
            if missing.isEmpty {
                print("All four \(set.name) files are present (\(set.locate(set.trainImages, root: root).map { ($0 as NSString).deletingLastPathComponent } ?? set.folder(root: root))).")
            } else {
                let mirrors = set.name == "mnist" || !dataOptions.mirrors.isEmpty ? dataOptions.mirrorList : set.mirrors
                try await set.downloadMissing(root: root, downloader: Downloader(mirrors: mirrors), log: { print($0) })
            }
            for split in MNIST.Split.allCases {
                let data = try set.load(split, root: root)
                let verified = set.trainImages.sha256 == nil ? "no published checksums" : "checksums verified"
                print("\(split.rawValue): \(data.count) images of \(data.rows)x\(data.columns), \(data.classCount) classes, \(verified)")
            }
        }
    }
}
