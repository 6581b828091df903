import Dispatch
import KuraCore
import KuraStore

extension EventStore {
    /// Keeps the writer busy in a transaction of its own until `gate` is signalled: commands sent meanwhile queue
    /// behind it (a slow disk, a lock held by another node). The task ends when the transaction does.
    public func holdWriter(until gate: DispatchSemaphore) -> Task<Void, any Error> {
        Task {
            _ = try await transact { (_: inout WriteTransaction) throws(KuraError) -> Int in
                gate.wait()
                return 1
            }
        }
    }
}
