// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Kura",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kura", targets: ["kura"]),
        .executable(name: "kura-example-provider", targets: ["kura-example-provider"]),
        .executable(name: "kura-solana-stand-in", targets: ["kura-solana-stand-in"]),
        .library(name: "KuraCrypto", targets: ["KuraCrypto"]),
        .library(name: "KuraCore", targets: ["KuraCore"]),
        .library(name: "KuraStore", targets: ["KuraStore"]),
        .library(name: "KuraPostgres", targets: ["KuraPostgres"]),
        .library(name: "KuraService", targets: ["KuraService"]),
        .library(name: "KuraHTTP", targets: ["KuraHTTP"]),
        .library(name: "KuraClient", targets: ["KuraClient"]),
        .library(name: "KuraProvider", targets: ["KuraProvider"]),
        .library(name: "KuraTesting", targets: ["KuraTesting"]),
        .library(name: "KuraX402", targets: ["KuraX402"]),
        .library(name: "KuraSolana", targets: ["KuraSolana"]),
        .library(name: "KuraSolanaRPC", targets: ["KuraSolanaRPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph through async-http-client; named because KuraClient tells its no-op tracer apart.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        // Already in the graph through hummingbird; named because KuraHTTP runs its own services.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // GET /metrics (issue 18). swift-metrics is already in the graph through hummingbird; swift-prometheus
        // is one small target over it and swift-atomics (also already in the graph): it renders the
        // Prometheus text format, which we would otherwise hand-write and keep correct ourselves.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        // SHA-256 (KuraCrypto/Hashing/SHA256.swift): OpenSSL's, which uses the CPU's SHA extensions.
        .systemLibrary(
            name: "CLibCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        // The `kura` executable's allocator (Sources/kura/Support/MemoryAllocator.swift).
        .systemLibrary(
            name: "CJemalloc", pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]),
        // Core, crypto and store: Foundation and system libraries only.
        .target(name: "KuraCrypto", dependencies: ["CSodium", "CLibCrypto"]),
        // KuraX402 (pure and offline too: wire types, over KuraCrypto and KuraSolana) for the standard facilitator's
        // event, which records the settlement answer it gave.
        .target(name: "KuraCore", dependencies: ["KuraCrypto", "KuraX402"]),
        .target(name: "KuraStore", dependencies: ["KuraCore", "KuraCrypto", "CSQLite"]),
        // The PostgreSQL backend: synchronous libpq, like the SQLite backend, so it fits the writer thread.
        .target(name: "KuraPostgres", dependencies: ["KuraCore", "KuraCrypto", "KuraStore", "CLibPQ"]),
        .target(
            name: "KuraService",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraStore", .product(name: "Logging", package: "swift-log"), "KuraX402",
                "KuraSolana",
            ]),
        .target(
            name: "KuraHTTP",
            dependencies: [
                "KuraService", "KuraCore", "KuraCrypto", "KuraClient", "KuraProvider", "KuraX402",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The explorer page, compiled into the binary (no resource bundle to ship beside it).
            resources: [
                .embedInCode("Explorer/Assets/explorer.html"), .embedInCode("Explorer/Assets/explorer.js"),
                .embedInCode("Explorer/Assets/explorer.css"),
            ]),
        .target(
            name: "KuraClient",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraX402", "KuraSolana",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]),
        // What a provider links to sell calls through Kura: the x402 and channel-voucher middleware, and the
        // problem+json format they answer with (which the server answers with too). Kura over HTTP through
        // KuraClient: no SQLite, no store, no service (scripts/check-products.sh proves it).
        .target(
            name: "KuraProvider",
            dependencies: [
                "KuraClient", "KuraCore", "KuraCrypto", "KuraX402",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "KuraTesting",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraStore", "KuraPostgres", "KuraService", "KuraSolana",
                // The Solana JSON-RPC stand-in serves HTTP on loopback.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "kura",
            dependencies: [
                "KuraCore", "KuraCrypto", "KuraStore", "KuraPostgres", "KuraService", "KuraHTTP", "KuraClient",
                "KuraX402", "KuraSolana", "KuraSolanaRPC", "CJemalloc",
                // `kura bench reputation` writes its export from KuraTesting's seeded `SyntheticReceipts`.
                "KuraTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The Solana JSON-RPC stand-in as a process, for scripts that drive the official x402 SDK against it.
        .executableTarget(
            name: "kura-solana-stand-in",
            dependencies: ["KuraTesting", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // A small paid API behind Kura's middleware, for the end-to-end tests and the README.
        .executableTarget(
            name: "kura-example-provider",
            dependencies: [
                "KuraProvider", "KuraClient", "KuraCore", "KuraX402",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "KuraCryptoTests", dependencies: ["KuraCrypto", "KuraTesting", "CSodium"]),
        .testTarget(name: "KuraCoreTests", dependencies: ["KuraCore", "KuraTesting"]),
        .testTarget(name: "KuraStoreTests", dependencies: ["KuraStore", "KuraService", "KuraTesting", "kura"]),
        .testTarget(name: "KuraPostgresTests", dependencies: ["KuraPostgres", "KuraTesting"]),
        .testTarget(
            name: "KuraServiceTests",
            dependencies: ["KuraService", "KuraTesting", "KuraX402", "KuraSolana", "KuraSolanaRPC"]),
        .testTarget(
            name: "KuraHTTPTests",
            dependencies: [
                "KuraHTTP", "KuraClient", "KuraProvider", "KuraTesting", "kura", "kura-example-provider", "KuraX402",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        // The parsers of untrusted bytes as fuzz targets: run by libFuzzer (scripts/fuzz.sh) and by a seeded
        // mutation loop over the committed corpus (Fixtures/fuzz) in the test suite.
        .target(name: "KuraFuzz", dependencies: ["KuraCrypto", "KuraX402"]),
        .testTarget(name: "KuraFuzzTests", dependencies: ["KuraFuzz", "KuraTesting"]),
        // x402 wire types and header codecs, and the pure checks of each scheme: Foundation, KuraCrypto, KuraSolana.
        .target(name: "KuraX402", dependencies: ["KuraCrypto", "KuraSolana"]),
        .testTarget(name: "KuraX402Tests", dependencies: ["KuraX402", "KuraSolana", "KuraTesting"]),
        // Solana wire formats, addresses and instruction decoders: Foundation and KuraCrypto only, offline.
        .target(name: "KuraSolana", dependencies: ["KuraCrypto"]),
        .testTarget(
            name: "KuraSolanaTests",
            dependencies: [
                "KuraSolana", "KuraSolanaRPC", "KuraCrypto", "KuraTesting",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Solana JSON-RPC over HTTP: the one Solana target with I/O.
        .target(
            name: "KuraSolanaRPC",
            dependencies: [
                "KuraSolana", "KuraCrypto", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ]
)
