extension KuraAPI {
    /// The problem codes of an action on an existing channel: its voucher, its state, its funds.
    static let channelCommandProblems: [KuraError.Code] = [
        .forbidden, .notFound, .idempotencyConflict, .channelClosed, .voucherInvalid, .voucherStale,
        .voucherOverCapacity,
    ]

    /// `POST /v1/channels`: the caller, as agent, deposits into a new channel for a provider. 201.
    public static let openChannel = KuraOperation<NoPath, NoQuery, OpenChannelRequest, Channel>.post(
        "openChannel", "/v1/channels",
        problems: [.forbidden, .notFound, .idempotencyConflict, .insufficientFunds],
        location: { "/v1/channels/\($0.id)" })

    /// `GET /v1/channels/{id}`: for its agent, its provider and operators.
    public static let showChannel = KuraOperation<ChannelID, NoQuery, EmptyRequest, Channel>.get(
        "showChannel", "/v1/channels/{id}", problems: [.forbidden, .notFound])

    /// `POST /v1/channels/{id}/topup`: the agent adds funds.
    public static let topUpChannel = KuraOperation<ChannelID, NoQuery, TopUpRequest, Channel>.post(
        "topUpChannel", "/v1/channels/{id}/topup", problems: channelCommandProblems + [.insufficientFunds])

    /// `POST /v1/channels/{id}/settle`: the provider settles a voucher the agent signed.
    public static let settleChannel = KuraOperation<ChannelID, NoQuery, SignedVoucher, Channel>.post(
        "settleChannel", "/v1/channels/{id}/settle", problems: channelCommandProblems)

    /// `POST /v1/channels/{id}/close`: either side starts the close; the provider may settle a last voucher.
    public static let closeChannel = KuraOperation<ChannelID, NoQuery, CloseChannelRequest, Channel>.post(
        "closeChannel", "/v1/channels/{id}/close", problems: channelCommandProblems)

    /// The channel operations.
    static let channels: [any KuraOperationDescription] = [
        openChannel, showChannel, topUpChannel, settleChannel, closeChannel,
    ]
}
