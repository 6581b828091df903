import HTTPTypes
import Hummingbird
import KuraCore
import KuraCrypto

/// The headers of channel-paid routes.
public enum ChannelHeader {
    /// The voucher of the call: `Kura-Channel-Voucher`.
    public static let voucher = HTTPField.Name(SignedVoucher.headerName)!
    /// The price per call, atomic units (on a 402).
    public static let price = HTTPField.Name(SignedVoucher.priceHeaderName)!
    /// The asset channels must hold (on a 402).
    public static let asset = HTTPField.Name("Kura-Channel-Asset")!
    /// The provider channels must pay (on a 402).
    public static let provider = HTTPField.Name("Kura-Channel-Provider")!
    /// The cumulative amount the provider accepted (on a paid response).
    public static let accepted = HTTPField.Name(SignedVoucher.acceptedHeaderName)!
}

/// Puts a per-call price on the routes behind it, paid with channel vouchers (`Kura-Channel-Voucher`).
///
/// A call without a voucher is answered `402 Payment Required` with the terms in `Kura-Channel-Price`,
/// `Kura-Channel-Asset` and `Kura-Channel-Provider`; a voucher that does not pay is answered 402 with a
/// problem+json body naming why (`voucher_invalid`, `voucher_stale`, `voucher_over_capacity`,
/// `channel_closed`, `channel_terms_refused`). A paid response carries
/// `Kura-Channel-Accepted: <cumulative amount>` and `Cache-Control: no-store`. The check is in memory
/// (``ChannelVoucherGate``): no database write per call.
public struct ChannelPaymentMiddleware<Context: RequestContext>: RouterMiddleware {
    typealias Header = ChannelHeader

    let gate: ChannelVoucherGate
    let price: Amount
    let terms: HTTPFields

    /// A price per call, checked by `gate`.
    public init(gate: ChannelVoucherGate, price: Amount) {
        self.gate = gate
        self.price = price
        terms = [
            Header.price: "\(price)", Header.asset: gate.configuration.asset.name,
            Header.provider: gate.configuration.provider.rawValue,
        ]
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let header = request.headers.value(of: Header.voucher) else {
            return refusal(KuraError(.invalidRequest, "this route costs \(price) per call: send \(Header.voucher)"))
        }
        let voucher: ChannelVoucher
        do { voucher = try await gate.accept(headerValue: header, price: price) } catch { return refusal(error) }
        var response: Response
        do { response = try await next(request, context) } catch {
            // Paid already: the route's failure is answered here, so that it says the voucher was accepted. A payer
            // that hears no acceptance takes its voucher back, and the gate would refuse each next one as stale.
            response = Response.answering(error, to: request, context: context)
        }
        response.headers[Header.accepted] = "\(voucher.cumulativeAmount)"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// 402 for a payment that does not pay; 503 when the check itself failed (Kura unreachable, a storage
    /// failure), so that a client retries rather than pays again.
    private func refusal(_ error: KuraError) -> Response {
        let status: HTTPResponse.Status =
            Problem.status(for: error.code).code >= 500
            ? .serviceUnavailable : .init(code: 402, reasonPhrase: "Payment Required")
        let bytes = (try? Problem.body(for: error, status: status).canonicalBytes()) ?? []
        var headers = terms
        headers[.contentType] = Problem.mediaType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
