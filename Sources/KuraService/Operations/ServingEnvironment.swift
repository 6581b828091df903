import KuraCore

/// What the server an operation is called through offers it, besides the service: how long a public read may
/// wait for the checkpointer, and what readiness knows of the writer. The HTTP server fills it in once; a call
/// from elsewhere (the CLI's local backend) gets the default: no waiting, nothing known.
public struct ServingEnvironment: Sendable {
    /// How long a public read waits for the checkpointer's next checkpoint when none issued covers what it asks
    /// for; zero when no checkpointer runs.
    public var checkpointWait: Duration
    /// Why the server should not get traffic although its database answers (a stalled writer), or nil.
    public var unreadiness: @Sendable () -> String?

    public init(checkpointWait: Duration = .zero, unreadiness: @escaping @Sendable () -> String? = { nil }) {
        self.checkpointWait = checkpointWait
        self.unreadiness = unreadiness
    }
}
