// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Kura",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kura", targets: ["kura"]),
        .library(name: "KuraCrypto", targets: ["KuraCrypto"]),
        .library(name: "KuraCore", targets: ["KuraCore"]),
        .library(name: "KuraStore", targets: ["KuraStore"]),
        .library(name: "KuraTesting", targets: ["KuraTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .target(name: "KuraCrypto", dependencies: ["CSodium"]),
        .target(name: "KuraCore", dependencies: ["KuraCrypto"]),
        .target(name: "KuraStore", dependencies: ["KuraCore", "KuraCrypto", "CSQLite"]),
        .target(name: "KuraTesting", dependencies: ["KuraCore", "KuraCrypto", "KuraStore"]),
        .executableTarget(
            name: "kura",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "KuraCryptoTests", dependencies: ["KuraCrypto", "KuraTesting"]),
        .testTarget(name: "KuraCoreTests", dependencies: ["KuraCore", "KuraTesting"]),
        .testTarget(
            name: "KuraStoreTests", dependencies: ["KuraStore", "KuraTesting", "kura"]),
    ]
)
