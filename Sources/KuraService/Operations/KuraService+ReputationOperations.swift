import KuraCore

extension KuraService {
    /// Meishi reputation's public reads of ``KuraAPI``, bound to the service.
    static let reputationOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.showReputation) { (service, call) throws(KuraError) in
            if let asOf = call.query.asOf {
                return Encoded(bytes: try await service.reputation(of: call.path, asOf: asOf).canonicalBytes())
            }
            return Encoded(bytes: try await service.reputationBytes(of: call.path))
        },
        OperationBinding(KuraAPI.listReputations) { (service, call) throws(KuraError) in
            let reports = try await service.reputations(of: call.query.ids, asOf: call.query.asOf)
            return ReputationBatch(checkpoint: reports[0].checkpoint, items: reports)
        },
        OperationBinding(KuraAPI.reputationAttestation) { (service, call) throws(KuraError) in
            // Attested at an issued checkpoint (of size asOf, else the newest): a public read never makes Kura
            // sign or store one, so the score may trail the log by up to one checkpoint interval.
            let checkpoint: CheckpointRecord
            if let asOf = call.query.asOf {
                guard let issued = try await service.issuedCheckpoint(size: asOf) else {
                    throw KuraError(
                        .notFound, "no checkpoint of size \(asOf) has been issued; omit asOf for the newest")
                }
                checkpoint = issued
            } else {
                checkpoint = try await service.issuedCheckpoint(covering: 0, waiting: call.environment)
            }
            return try await service.reputationAttestation(of: call.path, at: checkpoint)
        },
        OperationBinding(KuraAPI.showPassport) { (service, call) throws(KuraError) in
            try await service.meishiPassport(call.path)
        },
    ]
}
