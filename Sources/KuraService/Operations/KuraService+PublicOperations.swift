import KuraCore
import KuraX402

/// The public operations that are neither log nor reputation reads: the standard x402 facilitator and the probes.
extension KuraService {
    /// The standard x402 facilitator's operations of ``KuraAPI``, bound to the service. A body that is not a
    /// facilitator request is answered with a refusal (`invalid_payload`, `invalid_x402_version`), not an error.
    static let standardFacilitatorOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.x402Supported) { (service, _) throws(KuraError) in
            service.x402Supported()
        },
        OperationBinding(KuraAPI.x402Verify) { (service, call) throws(KuraError) in
            switch KuraService.facilitatorRequest(call.bytes) {
            case .success(let parsed): return await service.facilitatorVerify(parsed)
            case .failure(let error): return .invalid(error.reason, error.detail, payer: nil)
            }
        },
        OperationBinding(KuraAPI.x402Settle) { (service, call) throws(KuraError) in
            switch KuraService.facilitatorRequest(call.bytes) {
            case .success(let parsed):
                return try await service.facilitatorSettle(
                    parsed, repeats: call.query.repeats, idempotencyKey: call.idempotencyKey)
            case .failure(let error):
                return SettleResponse(
                    success: false, errorReason: error.reason, errorMessage: error.detail, transaction: "",
                    network: service.x402Network.id)
            }
        },
    ]

    /// The liveness and readiness probes of ``KuraAPI``.
    static let probeOperations: [any ServiceOperation] = [
        OperationBinding(KuraAPI.health) { (_, _) throws(KuraError) in ServerStatus(status: "ok") },
        OperationBinding(KuraAPI.ready) { (service, call) throws(KuraError) in
            try await service.readiness(call.environment)
        },
    ]

    /// `{"status":"ready"}` when the database answers a read, still holds every event this node answered for, and
    /// the server knows of nothing else amiss (a stalled writer); otherwise `not_ready` saying which.
    func readiness(_ environment: ServingEnvironment) async throws(KuraError) -> ServerStatus {
        let lost: UInt64?
        do { lost = try await store.headAndLostEvent().lost } catch {
            // Reading the event answered for checks its hash: a log whose event changed is broken, not silent.
            guard error.code == .chainBroken else {
                throw KuraError(.notReady, "the database does not answer (\(error.code))")
            }
            throw KuraError(
                .notReady, "the log changed an event this node answered for (chain_broken): \(error.detail)")
        }
        if let lost {
            throw KuraError(
                .notReady,
                "the log lost event \(lost), which this node answered for: the writer refuses to write (chain_broken)")
        }
        if let reason = environment.unreadiness() { throw KuraError(.notReady, reason) }
        return ServerStatus(status: "ready")
    }

    static func facilitatorRequest(_ body: [UInt8]) -> Result<FacilitatorRequest, X402Error> {
        do { return .success(try X402Codec.decode(FacilitatorRequest.self, json: body)) } catch {
            return .failure(error)
        }
    }
}
