import KuraStore

/// Statements to send in one round trip (see ``PostgresConnection/run(_:)-(PostgresBatch)``).
public struct PostgresBatch {
    /// The statements and their parameters, in order.
    public private(set) var statements: [(sql: String, parameters: [SQLValue])] = []

    /// An empty batch.
    public init() {}

    /// Adds one statement.
    public mutating func append(_ sql: String, _ parameters: [SQLValue] = []) {
        statements.append((sql, parameters))
    }

    /// The number of statements.
    public var count: Int { statements.count }

    /// Whether there are no statements.
    public var isEmpty: Bool { statements.isEmpty }
}
