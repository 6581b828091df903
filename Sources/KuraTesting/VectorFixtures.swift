import Foundation

/// The package's test fixtures, found from this source file's location.
public enum VectorFixtures {
    /// The package root.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under `Fixtures/vectors/`.
    public static func url(_ name: String) -> URL {
        root.appendingPathComponent("Fixtures/vectors/\(name)")
    }

    /// Decodes a vector file.
    public static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }
}
