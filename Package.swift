// swift-tools-version:6.0
import PackageDescription

/// The numeric kernels are compiled optimised even in debug builds: SIMD code at -Onone is
/// hundreds of times slower, which would make `swift test` crawl.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "LeNet5",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lenet", targets: ["lenet"]),
        .library(name: "LeNet", targets: ["LeNet"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Kernels", targets: ["Kernels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // zlib, through the system library that every Swift-on-Linux install already has.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Byte-level helpers shared by every format: zlib streams, CRC, SHA-256, atomic file writes.
        .target(name: "Support", dependencies: ["CZlib"], swiftSettings: optimisedInDebug),
        // Float32 kernels: each fast kernel beside the naive one that is its test oracle.
        .target(name: "Kernels", swiftSettings: optimisedInDebug),
        // Layers, losses, optimizers, parameter buffers, safetensors and .npy files.
        .target(name: "NeuralNetwork", dependencies: ["Kernels", "Support"], swiftSettings: optimisedInDebug),
        // IDX files, MNIST, its checksums and its download mirrors, batches.
        .target(name: "Datasets", dependencies: ["Support"], swiftSettings: optimisedInDebug),
        // PNG encoding and decoding over zlib.
        .target(name: "Imaging", dependencies: ["Support"]),
        // The write-up's LeNet-5, its recipe, the trainer and the evaluator.
        .target(name: "LeNet", dependencies: ["NeuralNetwork", "Datasets", "Imaging", "Kernels", "Support"],
                swiftSettings: optimisedInDebug),
        .executableTarget(name: "lenet", dependencies: [
            "LeNet", "Datasets", "NeuralNetwork", "Support",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "Kernels", "Support"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Support"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "LeNetTests", dependencies: ["LeNet", "NeuralNetwork", "Datasets", "Imaging"],
                    swiftSettings: optimisedInDebug),
    ],
    swiftLanguageModes: [.v6]
)
