/// The catalog of Kura's operations: each declared once, as a typed ``KuraOperation``.
///
/// The HTTP router registers every entry with its service binding, KuraClient calls any entry with
/// `perform`, the CLI's backends run any entry locally or remotely, and a test compares every entry with
/// `Schemas/openapi.yaml` (method, path, `operationId`, credentials, `Idempotency-Key`, query parameters, 201
/// or 200, and the statuses of its problem codes). Only the metrics and the explorer's static files are served
/// outside it (Docs/architecture.md says why).
public enum KuraAPI {
    /// Every operation in the catalog, in the order the router registers them.
    public static let all: [any KuraOperationDescription] =
        parties + escrows + disputes + channels + payments + accounts + facilitator + log + reputation
        + standardFacilitator
        + probes
}
