// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Kura",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kura", targets: ["kura"]),
        .executable(name: "kura-example-provider", targets: ["kura-example-provider"]),
        .library(name: "KuraCrypto", targets: ["KuraCrypto"]),
        .library(name: "KuraCore", targets: ["KuraCore"]),
        .library(name: "KuraStore", targets: ["KuraStore"]),
        .library(name: "KuraPostgres", targets: ["KuraPostgres"]),
        .library(name: "KuraService", targets: ["KuraService"]),
        .library(name: "KuraHTTP", targets: ["KuraHTTP"]),
        .library(name: "KuraClient", targets: ["KuraClient"]),
        .library(name: "KuraTesting", targets: ["KuraTesting"]),
        .library(name: "KuraX402", targets: ["KuraX402"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph through hummingbird; named because KuraHTTP runs its own services.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        // Core, crypto and store: Foundation and the two system libraries only.
        .target(name: "KuraCrypto", dependencies: ["CSodium"]),
        .target(name: "KuraCore", dependencies: ["KuraCrypto"]),
        .target(name: "KuraStore", dependencies: ["KuraCore", "KuraCrypto", "CSQLite"]),
        // The PostgreSQL backend: synchronous libpq, like the SQLite backend, so it fits the writer thread.
        .target(name: "KuraPostgres", dependencies: ["KuraCore", "KuraCrypto", "KuraStore", "CLibPQ"]),
        .target(
            name: "KuraService",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraStore", .product(name: "Logging", package: "swift-log"), "KuraX402",
            ]),
        .target(
            name: "KuraHTTP",
            dependencies: [
                "KuraService", "KuraCore", "KuraCrypto", "KuraClient", "KuraX402",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "KuraClient",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraX402", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "KuraTesting", dependencies: ["KuraCore", "KuraCrypto", "KuraStore", "KuraService", "KuraPostgres"]),
        .executableTarget(
            name: "kura",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraStore", "KuraPostgres", "KuraService", "KuraHTTP", "KuraClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // A small paid API behind Kura's middleware, for the end-to-end tests and the README.
        .executableTarget(
            name: "kura-example-provider",
            dependencies: [
                "KuraHTTP", "KuraClient", "KuraCore", "KuraCrypto", "KuraX402",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "KuraCryptoTests", dependencies: ["KuraCrypto", "KuraTesting"]),
        .testTarget(name: "KuraCoreTests", dependencies: ["KuraCore", "KuraTesting"]),
        .testTarget(name: "KuraStoreTests", dependencies: ["KuraStore", "KuraTesting", "kura"]),
        .testTarget(name: "KuraPostgresTests", dependencies: ["KuraPostgres", "KuraTesting"]),
        .testTarget(name: "KuraServiceTests", dependencies: ["KuraService", "KuraTesting", "KuraX402"]),
        .testTarget(
            name: "KuraHTTPTests",
            dependencies: [
                "KuraHTTP", "KuraClient", "KuraTesting", "kura", "kura-example-provider", "KuraX402",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        // x402 wire types and header codecs: Foundation and KuraCrypto only.
        .target(name: "KuraX402", dependencies: ["KuraCrypto"]),
        .testTarget(name: "KuraX402Tests", dependencies: ["KuraX402", "KuraTesting"]),
    ]
)
