import KuraCrypto
import KuraX402

extension KuraAPI {
    /// `GET /facilitator/supported`: the x402 kinds this facilitator settles.
    public static let x402Supported = KuraOperation<NoPath, NoQuery, EmptyRequest, SupportedResponse>.get(
        "x402Supported", "/facilitator/supported", access: .public, problems: [.invalidRequest, .internalError])

    /// `POST /facilitator/verify`: would this Kura-scheme payment settle now? A refusal is a 200 answer
    /// (`isValid: false`), a body that is not a facilitator request included.
    public static let x402Verify = KuraOperation<NoPath, NoQuery, FacilitatorRequest, VerifyResponse>(
        id: "x402Verify", method: .post, path: "/facilitator/verify", access: .public, idempotent: false,
        problems: [.invalidRequest, .payloadTooLarge, .internalError])

    /// `POST /facilitator/settle?repeat=`: settles a Kura-scheme payment once per authorization (a repeat is
    /// refused as verify refuses it, except the retry of the first call with its `Idempotency-Key` and the payment
    /// identifier's repeat of the same payload; with `repeat=answer` every repeat gets the first answer); a refusal
    /// is a 200 answer (`success: false`). A settlement whose outcome is unknown is `storage_unavailable` (503); a
    /// Solana settle's retry with its key while the first call still waits for the chain, or any settle of a Solana
    /// payment whose status the reconciler is reading, is `rail_unavailable` (503).
    public static let x402Settle = KuraOperation<NoPath, X402SettleQuery, FacilitatorRequest, SettleResponse>(
        id: "x402Settle", method: .post, path: "/facilitator/settle", access: .public, idempotent: true,
        problems: [.invalidRequest, .payloadTooLarge, .internalError, .storageUnavailable, .railUnavailable])

    /// The standard x402 facilitator (coinbase x402 v2, section 7) of the Kura schemes. Public: the payer's
    /// signature over the authorization is the authority.
    static let standardFacilitator: [any KuraOperationDescription] = [x402Supported, x402Verify, x402Settle]
}

/// `POST /facilitator/settle?repeat=`: what a settle of an authorization settled already answers.
public struct X402SettleQuery: OperationQuery, Equatable {
    /// What a repeat gets.
    public enum Repeat: String, Sendable, CaseIterable {
        /// The first answer again: a retry after a lost answer learns the payment went through, and so does every
        /// concurrent settle of the same authorization (a resource server that serves on success serves each).
        case answer
        /// A refusal (`invalid_exact_kura_payload_nonce_used`, or the `escrow` scheme's), as verify refuses it, unless
        /// it is the payment identifier's repeat of the same payload, or the retry of the settle that moved the
        /// money with that call's `Idempotency-Key` (its first answer again). For a resource server: only the
        /// settle that moved the money (and its own retries), or the payer's identified retry, is a success, so no
        /// two servings, by one provider process or two, answer one authorization. The default, as x402's own
        /// facilitators refuse a duplicate settlement.
        case refuse
    }

    public var repeats: Repeat

    public init(repeats: Repeat = .refuse) { self.repeats = repeats }

    public static var names: [String] { ["repeat"] }

    public init(query: [String: String]) throws(KuraError) {
        repeats = try PageQuery.value("repeat", query, as: Repeat.self) ?? .refuse
    }

    /// Always on the wire, the default too: a server from before `refuse` became the default answers every repeat
    /// of a query without it, and a provider would serve one payment again and again.
    public var queryItems: [(name: String, value: String)] { [("repeat", repeats.rawValue)] }
}

/// A facilitator request is read by the x402 codec's rules (unknown members ignored, `x402Version` first), and a
/// body that is not one is answered with a refusal in a 200, as x402 clients expect: so the route hands the
/// operation the body's bytes.
extension FacilitatorRequest: StrictRequest {
    public static let fields: Set<String> = ["x402Version", "paymentPayload", "paymentRequirements"]
    public static var readsBodyBytes: Bool { true }
}

/// The x402 messages are read back by the x402 codec (field rules checked), and written as canonical JSON.
protocol X402Representation: OperationRepresentation, X402Message {}

extension X402Representation {
    public static var mediaType: String { "application/json" }

    public func representation() throws(KuraError) -> [UInt8] {
        do { return try X402Codec.json(self) } catch { throw KuraError(.internalError, error.detail) }
    }

    public init(representation bytes: [UInt8]) throws(KuraError) {
        do { self = try X402Codec.decode(Self.self, json: bytes) } catch {
            throw KuraError(.internalError, error.detail)
        }
    }
}

extension SupportedResponse: X402Representation {}
extension VerifyResponse: X402Representation, OperationVerdict {
    public var refusalReason: String? { isValid ? nil : invalidReason?.rawValue ?? "invalid" }
}
extension SettleResponse: X402Representation, OperationVerdict {
    public var refusalReason: String? { success ? nil : errorReason?.rawValue ?? "failed" }
}
