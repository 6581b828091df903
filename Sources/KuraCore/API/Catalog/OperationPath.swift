/// The values an operation takes from its path: one per `{…}` segment of the template, in order.
public protocol OperationPath: Sendable {
    /// Parses the decoded segments; a malformed one is `invalid_request`.
    init(pathValues: [String]) throws(KuraError)
    /// The segments' text, in the template's order.
    var pathValues: [String] { get }
    /// Whether the router percent-decodes the segments before ``init(pathValues:)`` (true unless a path type
    /// says otherwise).
    static var percentDecoded: Bool { get }
}

extension OperationPath {
    public static var percentDecoded: Bool { true }
}

/// The path of an operation whose template has no `{…}` segment.
public struct NoPath: OperationPath, Equatable {
    public init() {}
    public init(pathValues: [String]) throws(KuraError) {
        guard pathValues.isEmpty else { throw KuraError(.internalError, "the route has no path parameters") }
    }
    public var pathValues: [String] { [] }
}

extension OperationPath where Self: KuraIdentifier {
    /// One identifier, validated as everywhere else (`esc_…`, `dsp_…`).
    public init(pathValues: [String]) throws(KuraError) {
        guard pathValues.count == 1 else { throw KuraError(.internalError, "the route has one path parameter") }
        self = try Self(validating: pathValues[0])
    }
    public var pathValues: [String] { [rawValue] }
}

extension PartyID: OperationPath {}
extension EscrowID: OperationPath {}
extension DisputeID: OperationPath {}
extension ChannelID: OperationPath {}
extension MandateID: OperationPath {}
extension PositionID: OperationPath {}
extension ReservationID: OperationPath {}
extension WithdrawalID: OperationPath {}
