import KuraCore

/// A read model kept in the same SQLite file, updated in the same transaction as each append,
/// so reads see their own writes and `kura replay` can rebuild it from the log alone.
public protocol Projector: Sendable {
    /// Creates its tables if they do not exist.
    func createSchema(_ db: SQLiteConnection) throws(KuraError)
    /// Empties its tables, before a rebuild from the log.
    func reset(_ db: SQLiteConnection) throws(KuraError)
    /// Folds one appended event into its tables. `decoded` is the typed event when the appender had it
    /// (nil on replay, when the projector reads the payload itself).
    func apply(_ event: Event, decoded: (any DomainEvent)?, _ db: SQLiteConnection) throws(KuraError)
}
