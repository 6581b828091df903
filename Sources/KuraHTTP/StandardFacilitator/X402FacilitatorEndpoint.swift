import Hummingbird
import KuraCore
import KuraProvider
import KuraService
import KuraX402

/// The standard x402 facilitator routes of the Kura schemes (coinbase/x402 specification v2, section 7):
/// `GET /facilitator/supported`, `POST /facilitator/verify`, `POST /facilitator/settle`.
///
/// Public: the payer's signature over the authorization is the authority (see `KuraService.x402Settle`), and
/// credentials sent are ignored. Verify and settle answer 200 even when they refuse, with `isValid: false` or
/// `success: false` and a standard reason, because standard clients treat any other status as a transport
/// failure; a body that is not a facilitator request is refused the same way (`invalid_payload`,
/// `invalid_x402_version`).
enum X402FacilitatorEndpoint: CaseIterable, Sendable {
    case supported, verify, settle

    var route: KuraRoute {
        switch self {
        case .supported: KuraRoute("GET", "/facilitator/supported")
        case .verify: KuraRoute("POST", "/facilitator/verify")
        case .settle: KuraRoute("POST", "/facilitator/settle")
        }
    }
}

extension KuraHandlers {
    /// Answers a facilitator route: query (400, no parameters are accepted), body (413), then the route.
    func respond(to endpoint: X402FacilitatorEndpoint, _ request: Request, context: KuraRequestContext)
        async throws(KuraError) -> Response
    {
        _ = try RequestInput.query(request.uri.query, allowed: [])
        switch endpoint {
        case .supported:
            return try Self.x402JSON(service.x402Supported())
        case .verify:
            let answer: VerifyResponse
            switch Self.facilitatorRequest(
                try await RequestInput.body(of: request, limit: min(maxBodyBytes, Endpoint.maxCommandBodyBytes)))
            {
            case .success(let parsed): answer = await service.facilitatorVerify(parsed)
            case .failure(let error): answer = .invalid(error.reason, error.detail, payer: nil)
            }
            RequestTrace.current?.refused(reason: answer.isValid ? nil : answer.invalidReason?.rawValue ?? "invalid")
            return try Self.x402JSON(answer)
        case .settle:
            let answer: SettleResponse
            switch Self.facilitatorRequest(
                try await RequestInput.body(of: request, limit: min(maxBodyBytes, Endpoint.maxCommandBodyBytes)))
            {
            case .success(let parsed): answer = await service.facilitatorSettle(parsed)
            case .failure(let error):
                answer = SettleResponse(
                    success: false, errorReason: error.reason, errorMessage: error.detail, transaction: "",
                    network: service.x402Network.id)
            }
            RequestTrace.current?.refused(reason: answer.success ? nil : answer.errorReason?.rawValue ?? "failed")
            return try Self.x402JSON(answer)
        }
    }

    static func facilitatorRequest(_ body: [UInt8]) -> Result<FacilitatorRequest, X402Error> {
        do { return .success(try X402Codec.decode(FacilitatorRequest.self, json: body)) } catch {
            return .failure(error)
        }
    }

    /// 200 with the message's canonical JSON.
    static func x402JSON(_ message: some X402Message) throws(KuraError) -> Response {
        let bytes: [UInt8]
        do { bytes = try X402Codec.json(message) } catch {
            throw KuraError(.internalError, "cannot encode the answer: \(error.detail)")
        }
        return RawResponse.make(bytes, contentType: "application/json")
    }
}
