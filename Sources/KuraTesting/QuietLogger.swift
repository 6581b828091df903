import Logging

extension Logger {
    /// A logger that writes nothing: what a test hands a server, a service or a client whose log lines it does not
    /// read (a test that reads them captures them with its own handler).
    public static func quiet(_ label: String = "kura.test") -> Logger {
        Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
