// swift-tools-version:6.1
import Foundation
import PackageDescription

// Build settings for speed, and how they stay out of the way of packages that depend on this one.
//
// - Built as the root package (`swift build`, `swift test`, `swift run` in this folder), the code is
//   compiled for the CPU it is built on (`-target-cpu native`: AVX2 or AVX-512 where present) and,
//   when that CPU has FMA, with fused multiply-adds (`-DFUSED_MULTIPLY_ADD`); with AVX-512, `-DAVX512`
//   lets kernels keep register blocks that need its 32 vector registers. The numeric targets
//   are optimised even in debug builds: SIMD code at -Onone is hundreds of times slower.
// - SwiftPM refuses unsafe flags in a package used as a dependency, so there (a checkout under
//   .build/checkouts) none are set: the library builds for the portable baseline of the platform,
//   correct and about 3x slower (scripts/dependency_speed.sh; the README). A dependent gets the
//   fast build by passing `-Xswiftc -target-cpu -Xswiftc native -Xswiftc -DFUSED_MULTIPLY_ADD` itself.
// - The web server's stack (SwiftNIO, Hummingbird and what they bring) is behind the `Server` trait,
//   on by default. A package that uses only the libraries names this one with `traits: []` and
//   fetches and builds none of it.
// - `LENET_PORTABLE=1 swift build` gives the portable build here too, for binaries meant for other
//   machines.
let directory = Context.packageDirectory
// A dependency's manifest is also evaluated where it has no folder (SwiftPM gives "/"): unsafe flags
// there would reach the dependent's build, and break a dependency by version.
let isDependency = directory.contains("/.build/checkouts/") || directory.contains("/SourcePackages/checkouts/")
    || !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("Package.swift"))
let portable = ProcessInfo.processInfo.environment["LENET_PORTABLE"].map { $0 != "0" && !$0.isEmpty } ?? false
let cpuFlags: Set<Substring> = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    return Set(line.split(separator: " "))
}()
let native: [String] = isDependency || portable ? [] :
    ["-target-cpu", "native"] + (cpuFlags.contains("fma") ? ["-DFUSED_MULTIPLY_ADD"] : [])
        + (cpuFlags.contains("avx512f") ? ["-DAVX512"] : [])
let optimisedInDebug: [SwiftSetting] = isDependency ? [] : [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(native),
]
// The server's stack, only with the `Server` trait.
let server: TargetDependencyCondition? = .when(traits: ["Server"])
let nativeOnly: [SwiftSetting] = native.isEmpty ? [] : [.unsafeFlags(native)]

let package = Package(
    name: "LeNet5",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lenet", targets: ["lenet"]),
        // The web server is its own program, so that `swift run lenet ...` never compiles SwiftNIO.
        .executable(name: "lenet-server", targets: ["lenet-server"]),
        .library(name: "LeNet", targets: ["LeNet"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "FileFormats", targets: ["FileFormats"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Runs", targets: ["Runs"]),
        .library(name: "LeNetServer", targets: ["LeNetServer"]),
        .library(name: "Kernels", targets: ["Kernels"]),
    ],
    traits: [
        .trait(name: "Server", description: "The web server (lenet-server, the LeNetServer library) and its stack: SwiftNIO, Hummingbird."),
        .default(enabledTraits: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The web server (`lenet-server`, also reached as `lenet serve`): HTTP/1 on SwiftNIO. Its default
        // traits bring swift-configuration and more of Foundation, which the server does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Already in Hummingbird's graph (nothing more to fetch or build): named for the server's
        // logger, its shutdown and the NIO types it uses itself.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Also in Hummingbird's graph: the HTTP types of a request's parts, for the server's own
        // channel handler (answering `Expect: 100-continue`).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // `swift package generate-documentation`: the ecosystem's DocC plugin. No target uses it, so a
        // package that depends on this one does not fetch it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // zlib, through the system library that every Swift-on-Linux install already has.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"]), .yum(["zlib-devel"])]),
        // Byte-level helpers shared by every format: zlib streams, CRC, SHA-256, atomic file writes.
        .target(name: "Support", dependencies: ["CZlib"], swiftSettings: optimisedInDebug),
        // Float32 kernels: each fast kernel beside the naive one that is its test oracle.
        .target(name: "Kernels", swiftSettings: optimisedInDebug),
        // The files models and scores travel in: safetensors, NumPy's .npy, ONNX's protobuf messages.
        .target(name: "FileFormats", dependencies: ["Support"], swiftSettings: optimisedInDebug),
        // Layers, losses, optimizers, parameter buffers, networks and their ONNX graphs.
        .target(name: "NeuralNetwork", dependencies: ["Kernels", "FileFormats", "Support"], swiftSettings: optimisedInDebug),
        // IDX files, MNIST, its checksums and its download mirrors, batches.
        .target(name: "Datasets", dependencies: ["Support", "Imaging"], swiftSettings: optimisedInDebug),
        // PNG encoding and decoding over zlib.
        .target(name: "Imaging", dependencies: ["Support"], swiftSettings: optimisedInDebug),
        // The model kinds and their registry, the recipes, both training loops, the evaluator, the reader.
        .target(name: "LeNet", dependencies: ["NeuralNetwork", "FileFormats", "Datasets", "Imaging", "Kernels", "Support"],
                swiftSettings: optimisedInDebug),
        // Reports people read: report.md, report.html with SVG charts, metrics.json, the confidence analysis.
        .target(name: "Reports", dependencies: ["NeuralNetwork", "Datasets", "Imaging", "Support"]),
        // A training run: its folder, interrupt and resume, checkpoints, metadata and the order of its reports.
        .target(name: "Runs", dependencies: ["LeNet", "Reports", "Datasets", "Imaging", "Kernels", "NeuralNetwork", "FileFormats", "Support"]),
        // `lenet serve`: the drawing page and the HTTP API, over Hummingbird.
        .target(name: "LeNetServer", dependencies: [
            "LeNet", "NeuralNetwork", "Imaging", "Datasets", "Support",
            .product(name: "Hummingbird", package: "hummingbird", condition: server),
            .product(name: "HummingbirdCore", package: "hummingbird", condition: server),
            .product(name: "Logging", package: "swift-log", condition: server),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: server),
            .product(name: "NIOCore", package: "swift-nio", condition: server),
            .product(name: "HTTPTypes", package: "swift-http-types", condition: server),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras", condition: server),
        ]),
        .executableTarget(name: "lenet", dependencies: [
            "LeNet", "Runs", "Reports", "Datasets", "NeuralNetwork", "FileFormats", "Support", "Kernels", "Imaging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: nativeOnly),
        // `lenet-server`: the server's command line.
        .executableTarget(name: "lenet-server", dependencies: [
            "LeNetServer", "LeNet", "Support",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // For the tests only: an HTTP/1.1 server of static files and a raw client, both on loopback
        // sockets, so that no test needs Python or an HTTP client library.
        .target(name: "LoopbackHTTP", path: "Tests/LoopbackHTTP"),
        // For the tests only: their folders, inside one of the test process's own that is removed
        // when it exits.
        .target(name: "TestFolders", path: "Tests/TestFolders"),
        // For the tests and the fuzzers (Fuzz/ links the same folder): pictures written from their
        // parts, valid but extreme (a DC difference on every block, 16-bit tables, a huge frame over
        // a few bytes), made from a list of choices or from a fuzzer's bytes.
        .target(name: "CraftedImages", dependencies: ["Support"], path: "Tests/CraftedImages", swiftSettings: optimisedInDebug),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestFolders"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "FileFormatsTests", dependencies: ["FileFormats", "Support", "TestFolders"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "FileFormats", "Kernels", "Support", "TestFolders"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Support", "Imaging", "LoopbackHTTP", "TestFolders"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Support", "CraftedImages"], exclude: ["Fixtures"]),
        .testTarget(name: "LeNetServerTests", dependencies: [
            "LeNetServer", "LeNet", "Imaging", "Datasets", "LoopbackHTTP", "TestFolders",
            .product(name: "Hummingbird", package: "hummingbird", condition: server),
            .product(name: "Logging", package: "swift-log", condition: server),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: server),
        ]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Runs", "Kernels", "LeNet", "NeuralNetwork", "Datasets", "TestFolders"]),
        .testTarget(name: "LeNetTests", dependencies: ["LeNet", "NeuralNetwork", "FileFormats", "Datasets", "Imaging", "TestFolders"],
                    exclude: ["Fixtures"], swiftSettings: optimisedInDebug),
    ],
    swiftLanguageModes: [.v6]
)
