import KuraCore
import KuraCrypto

/// One call of a catalog operation: who calls, the path and query values, the body as JSON, the key.
///
/// The body stays JSON until the binding reads it: the service keys idempotency and derives identifiers from
/// the request as sent, so the HTTP body is passed on exactly as it came; the CLI's local backend passes the
/// JSON encoding of its typed request, which is what a remote call sends.
public struct Invocation<Path: OperationPath, Query: OperationQuery, Body: StrictRequest>: Sendable {
    /// The caller; nil for a public operation, which reads no credentials.
    public let caller: Principal?
    public let path: Path
    public let query: Query
    /// The body as JSON (`null` over HTTP when the body type reads its bytes, ``StrictRequest/readsBodyBytes``).
    public let body: JSONValue
    /// The body exactly as sent, when it came as bytes (over HTTP).
    let sentBytes: [UInt8]?
    public let idempotencyKey: String?
    /// What the server the call came through offers the operation.
    public let environment: ServingEnvironment

    /// A call; `bytes` is the body exactly as sent, when there were bytes. Without them (the CLI's local
    /// backend, which holds a typed request), a body type that reads bytes reads the JSON encoding of `body`.
    public init(
        principal: Principal?, path: Path, query: Query, body: JSONValue, bytes: [UInt8]? = nil,
        idempotencyKey: String?, environment: ServingEnvironment = ServingEnvironment()
    ) {
        self.caller = principal
        self.path = path
        self.query = query
        self.body = body
        self.sentBytes = bytes
        self.idempotencyKey = idempotencyKey
        self.environment = environment
    }

    /// The body's bytes, for a body type that reads them itself (``StrictRequest/readsBodyBytes``).
    public var bytes: [UInt8] {
        if let sentBytes { return sentBytes }
        return (try? body.canonicalBytes()) ?? []
    }

    /// The authenticated caller of an operation that is not public.
    public var principal: Principal {
        get throws(KuraError) {
            guard let caller else { throw KuraError(.internalError, "a public call has no caller") }
            return caller
        }
    }

    /// The body as the operation's request type, strictly (unknown members are `invalid_request`).
    public var request: Body { get throws(KuraError) { try Body.decode(body) } }
}

/// A catalog operation and the service method that answers it: the one place an operation meets the
/// service. The router and the CLI's local backend call every operation through its binding.
public struct OperationBinding<Path: OperationPath, Query: OperationQuery, Body: StrictRequest, Response>: Sendable
where Response: Codable & Sendable {
    public let operation: KuraOperation<Path, Query, Body, Response>
    let perform: @Sendable (KuraService, Invocation<Path, Query, Body>) async throws(KuraError) -> Reply<Response>

    /// Binds a command: the service answers with a ``Reply`` (replayed or not).
    init(
        _ operation: KuraOperation<Path, Query, Body, Response>,
        command:
            @escaping @Sendable (KuraService, Invocation<Path, Query, Body>) async throws(KuraError) -> Reply<
                Response
            >
    ) {
        self.operation = operation
        self.perform = command
    }

    /// Binds a read: never replayed.
    init(
        _ operation: KuraOperation<Path, Query, Body, Response>,
        read: @escaping @Sendable (KuraService, Invocation<Path, Query, Body>) async throws(KuraError) -> Response
    ) {
        self.operation = operation
        self.perform = { (service, call) throws(KuraError) in
            Reply(value: try await read(service, call), replayed: false)
        }
    }
}

/// A binding without its types, so the router can list them; ``KuraService/perform(_:_:)`` recovers them.
public protocol ServiceOperation: Sendable {
    associatedtype Path: OperationPath
    associatedtype Query: OperationQuery
    associatedtype Body: StrictRequest
    associatedtype Response: Codable & Sendable
    var operation: KuraOperation<Path, Query, Body, Response> { get }
    /// The operation without its types.
    var described: any KuraOperationDescription { get }
    /// Runs the operation on `service`.
    func perform(on service: KuraService, _ call: Invocation<Path, Query, Body>) async throws(KuraError)
        -> Reply<Response>
}

extension OperationBinding: ServiceOperation {
    public var described: any KuraOperationDescription { operation }

    public func perform(on service: KuraService, _ call: Invocation<Path, Query, Body>) async throws(KuraError)
        -> Reply<Response>
    {
        try await perform(service, call)
    }
}
