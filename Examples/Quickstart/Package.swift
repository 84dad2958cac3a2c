// swift-tools-version:6.1
// A package that depends on LeNet5 as a user's would, by path here (see the README for the line
// by URL). `traits: []` leaves out the web server's stack: nothing of SwiftNIO is fetched or built.
// CI builds and runs it; Sources/Quickstart/main.swift is the README's Swift code, checked by
// scripts/check_readme.py.
import PackageDescription

let package = Package(
    name: "Quickstart",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "LeNet5", path: "../..", traits: []),
    ],
    targets: [
        .executableTarget(name: "Quickstart", dependencies: [
            .product(name: "LeNet", package: "LeNet5"),
            .product(name: "Datasets", package: "LeNet5"),
        ]),
    ]
)
