import KuraCore
import KuraCrypto

extension KuraService {
    /// The transparency log's public reads of ``KuraAPI``, bound to the service. They only read: a checkpoint is
    /// never signed or stored on a public read (``issuedCheckpoint(covering:waiting:)``).
    static let logOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.listReceipts) { (service, call) throws(KuraError) in
            try await service.receipts(
                party: call.query.party, kind: call.query.kind, cursor: call.query.cursor, limit: call.query.limit)
        },
        OperationBinding(KuraAPI.showReceipt) { (service, call) throws(KuraError) in
            try await service.receipt(call.path.value)
        },
        OperationBinding(KuraAPI.receiptBundle) { (service, call) throws(KuraError) in
            try await service.publicBundle(call.path.value, size: call.query.size, waiting: call.environment)
        },
        OperationBinding(KuraAPI.logCheckpoint) { (service, call) throws(KuraError) in
            PlainText(try await service.issuedCheckpoint(covering: 0, waiting: call.environment).note)
        },
        OperationBinding(KuraAPI.logConsistency) { (service, call) throws(KuraError) in
            try await service.consistency(from: call.query.from, to: call.query.to)
        },
        OperationBinding(KuraAPI.logKey) { (service, _) throws(KuraError) in
            PlainText(service.verifierKey + "\n")
        },
        OperationBinding(KuraAPI.jwks) { (service, _) throws(KuraError) in
            JSONWebKeySet(service.jwks)
        },
    ]

    /// The bundle of receipt `index` for a public read: against the issued checkpoint of `size` (404 when none of
    /// that size was issued), or by default the newest issued checkpoint, waiting briefly for the checkpointer's
    /// next one when the newest does not hold the receipt yet (then 503 `checkpoint_pending`).
    func publicBundle(_ index: UInt64, size: UInt64?, waiting environment: ServingEnvironment)
        async throws(KuraError) -> JSONValue
    {
        if let size, index >= size {
            throw KuraError(.notFound, "receipt \(index) is not in the tree of size \(size)")
        }
        _ = try await receipt(index)
        let checkpoint: CheckpointRecord
        if let size {
            guard let issued = try await issuedCheckpoint(size: size) else {
                throw KuraError(
                    .notFound,
                    "no checkpoint of size \(size) has been issued; ask without size for the newest, or for an issued size"
                )
            }
            checkpoint = issued
        } else {
            checkpoint = try await issuedCheckpoint(covering: index + 1, waiting: environment)
        }
        return try await bundle(index, at: checkpoint)
    }

    /// The newest issued checkpoint if it holds at least `size` receipts (`0`: any); otherwise the checkpointer's
    /// next one, polled for up to the environment's `checkpointWait` (the log may have grown since the newest).
    /// Past that, 503 `checkpoint_pending`. Reads only: waiting costs one indexed read per 50 ms.
    public func issuedCheckpoint(covering size: UInt64, waiting environment: ServingEnvironment)
        async throws(KuraError) -> CheckpointRecord
    {
        let deadline = ContinuousClock.now.advanced(by: environment.checkpointWait)
        while true {
            let latest = try await latestCheckpoint()
            if let latest, latest.size >= size { return latest }
            if ContinuousClock.now >= deadline {
                throw KuraError(
                    .checkpointPending,
                    latest == nil
                        ? "no checkpoint has been issued yet; retry shortly"
                        : "no checkpoint issued yet holds \(size) receipts; retry shortly")
            }
            do { try await Task.sleep(for: .milliseconds(50)) } catch {
                throw KuraError(.checkpointPending, "the request was cancelled while waiting for a checkpoint")
            }
        }
    }
}
