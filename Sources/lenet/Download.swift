import ArgumentParser
import Datasets
import Foundation
import Support

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download whichever MNIST files are missing under the data root.",
        discussion: """
            Each file is fetched as <mirror>/<name>.gz from the mirrors in order; a mirror that fails (network error, HTTP error, an HTML page instead of data, a corrupt stream, a checksum mismatch) is skipped for the next. Accepted files are written to a temporary name and renamed into <root>/MNIST/raw/. Files already present are checked against the published SHA-256 checksums.

            The repository ships MNIST in ./data, so this is only needed for another --data root.
            """)

    @OptionGroup var dataOptions: DataOptions

    func run() async throws {
        try await reportingErrors {
            let root = dataOptions.data
            let missing = MNIST.missingFiles(root: root)
            if missing.isEmpty {
                print("All four MNIST files are present in \(MNIST.folder(root: root)).")
            } else {
                try await MNIST.downloadMissing(root: root, downloader: Downloader(mirrors: dataOptions.mirrorList), log: { print($0) })
            }
            for split in MNIST.Split.allCases {
                let data = try MNIST.load(split, root: root)
                print("\(split.rawValue): \(data.count) images of \(data.rows)x\(data.columns), checksums verified")
            }
        }
    }
}
