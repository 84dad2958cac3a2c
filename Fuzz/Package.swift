// swift-tools-version:6.0
// The fuzzers of the parsers of outside bytes (see README.md here). A separate package so that the
// main build never links libFuzzer; it uses the main package by path.
import PackageDescription

let package = Package(
    name: "LeNetFuzz",
    dependencies: [.package(name: "LeNet5", path: "..")],
    targets: [
        // The main package's generators of crafted pictures (a link to Tests/CraftedImages).
        .target(name: "CraftedImages", dependencies: [.product(name: "Imaging", package: "LeNet5")]),
        .executableTarget(name: "LeNetFuzz", dependencies: [
            "CraftedImages",
            .product(name: "Datasets", package: "LeNet5"),
            .product(name: "FileFormats", package: "LeNet5"),
            .product(name: "Imaging", package: "LeNet5"),
            .product(name: "LeNet", package: "LeNet5"),
            .product(name: "NeuralNetwork", package: "LeNet5"),
        ], swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ],
    swiftLanguageModes: [.v6]
)
