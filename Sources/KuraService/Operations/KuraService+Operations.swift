import KuraCore
import KuraCrypto

extension KuraService {
    /// Every catalog operation bound to the service method that answers it, one entry per ``KuraAPI`` entry
    /// (a test checks both lists name the same operations).
    public static let operations: [any ServiceOperation] =
        partyOperations + escrowOperations + disputeOperations + channelOperations + paymentOperations
        + accountOperations + facilitatorOperations + logOperations + reputationOperations
        + standardFacilitatorOperations
        + probeOperations

    /// The bindings by operation ID.
    static let operationsByID: [String: any ServiceOperation] = Dictionary(
        uniqueKeysWithValues: operations.map { ($0.described.id, $0) })

    /// Runs a catalog operation: the one path the CLI's local backend takes for every operation.
    public func perform<Path, Query, Body, Response>(
        _ operation: KuraOperation<Path, Query, Body, Response>, _ call: Invocation<Path, Query, Body>
    ) async throws(KuraError) -> Reply<Response> {
        guard let binding = Self.operationsByID[operation.id] as? OperationBinding<Path, Query, Body, Response> else {
            throw KuraError(.internalError, "the operation \(operation.id) has no binding to the service")
        }
        return try await binding.perform(on: self, call)
    }
}
