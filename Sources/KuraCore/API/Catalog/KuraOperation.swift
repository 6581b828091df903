/// One operation of Kura's API, declared once: its types, its route, who may call it, whether a retry with
/// the same `Idempotency-Key` is safe, and the problem codes it answers with.
///
/// The router (KuraHTTP), the SDK (``KuraClient``), the CLI's local and remote backends and the test that
/// compares the API with `Schemas/openapi.yaml` all read these values, so a new operation is one entry in
/// ``KuraAPI``, one service method and one binding (KuraService's `OperationBinding`).
///
/// - `Path`: the values of the path template's `{…}` segments, in order (``NoPath`` for none).
/// - `Query`: the query parameters of a GET (``NoQuery`` for none).
/// - `Body`: the JSON body of a POST (``EmptyRequest`` for none); a strict request refuses unknown members.
/// - `Response`: the JSON answer.
public struct KuraOperation<Path: OperationPath, Query: OperationQuery, Body: StrictRequest, Response>: Sendable
where Response: Codable & Sendable {
    /// The `operationId` in `Schemas/openapi.yaml`.
    public let id: String
    /// The HTTP method.
    public let method: OperationMethod
    /// The path template as OpenAPI writes it, e.g. `/v1/escrows/{id}/deliver`.
    public let path: String
    /// Who may call it. The service still decides on the particular caller (the payer, a panel arbiter…).
    public let access: OperationAccess
    /// Whether the operation takes `Idempotency-Key`: a retry with the same key and request answers the first
    /// result again, with the same key and another request `idempotency_conflict`.
    public let idempotent: Bool
    /// The problem codes the operation itself answers with, besides those every operation of its access answers
    /// (``OperationProblems/common(to:)``).
    public let problems: [KuraError.Code]
    /// For an operation that creates a resource (201): where the resource lives, from the answer; nil from it
    /// when this answer created none (200).
    public let location: (@Sendable (Response) -> String?)?
    /// The statuses of success: 200, 201 for an operation that creates a resource, or both for one that
    /// creates one only for some requests (a withdrawal to Solana, not one on the ledger).
    public let successStatuses: [Int]
    /// The names of the path template's `{…}` segments, in order (read on every request, so split once).
    public let pathParameterNames: [String]

    /// Declares an operation; prefer ``get(_:_:access:problems:)`` and
    /// ``post(_:_:access:problems:location:successStatuses:)``.
    public init(
        id: String, method: OperationMethod, path: String, access: OperationAccess, idempotent: Bool,
        problems: [KuraError.Code], location: (@Sendable (Response) -> String?)? = nil,
        successStatuses: [Int]? = nil
    ) {
        self.successStatuses = successStatuses ?? (location == nil ? [200] : [201])
        self.pathParameterNames = path.split(separator: "/").compactMap { segment in
            segment.first == "{" && segment.last == "}" ? String(segment.dropFirst().dropLast()) : nil
        }
        self.id = id
        self.method = method
        self.path = path
        self.access = access
        self.idempotent = idempotent
        self.problems = problems
        self.location = location
    }
}

extension KuraOperation where Body == EmptyRequest {
    /// A read: no body, never writes, so no `Idempotency-Key`.
    public static func get(
        _ id: String, _ path: String, access: OperationAccess = .party, problems: [KuraError.Code]
    ) -> Self {
        Self(id: id, method: .get, path: path, access: access, idempotent: false, problems: problems)
    }
}

extension KuraOperation where Query == NoQuery {
    /// A command: a JSON body, an optional `Idempotency-Key`; 201 with `Location` when `location` gives one.
    public static func post(
        _ id: String, _ path: String, access: OperationAccess = .party, problems: [KuraError.Code],
        location: (@Sendable (Response) -> String?)? = nil, successStatuses: [Int]? = nil
    ) -> Self {
        Self(
            id: id, method: .post, path: path, access: access, idempotent: true, problems: problems,
            location: location, successStatuses: successStatuses)
    }
}

/// An HTTP method of the API.
public enum OperationMethod: String, Sendable, CaseIterable {
    case get = "GET"
    case post = "POST"
}

/// Who may call an operation.
public enum OperationAccess: String, Sendable, CaseIterable {
    /// No credentials needed (the spec's `security: []`).
    case `public`
    /// Any authenticated party; the service checks which (the payer, the payee, a panel arbiter, an operator).
    case party
    /// Operators only.
    case `operator`
}

/// What the problem codes of every operation share.
public enum OperationProblems {
    /// What any authenticated operation may answer: a malformed request, unknown credentials, a body too
    /// large, a refused caller, and a server-side failure.
    public static let authenticated: [KuraError.Code] = [
        .invalidRequest, .unauthenticated, .payloadTooLarge, .internalError,
    ]

    /// What any public operation may answer: the rate limit's refusal (429). Credentials are not read, and a
    /// public read refuses a malformed query or path itself (each entry lists its own codes).
    public static let `public`: [KuraError.Code] = [.rateLimited]

    /// The codes every operation of `access` may answer.
    public static func common(to access: OperationAccess) -> [KuraError.Code] {
        access == .public ? `public` : authenticated
    }
}

/// An operation without its types: what the router lists and the OpenAPI test compares.
public protocol KuraOperationDescription: Sendable {
    var id: String { get }
    var method: OperationMethod { get }
    var path: String { get }
    var access: OperationAccess { get }
    var idempotent: Bool { get }
    var problems: [KuraError.Code] { get }
    /// The query parameters a request may carry; any other is refused.
    var queryNames: [String] { get }
    /// The statuses of success (200, 201 with `Location` for a created resource, or both).
    var successStatuses: [Int] { get }
}

extension KuraOperation: KuraOperationDescription {
    public var queryNames: [String] { Query.names }

    /// The path with the template's segments filled in from `path`, each percent-encoded.
    public func path(for values: Path) -> String {
        var filled = values.pathValues.makeIterator()
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.first == "{" && segment.last == "}" else { return String(segment) }
            return OperationQueryEncoding.percentEncoded(filled.next() ?? "")
        }
        return segments.joined(separator: "/")
    }
}
