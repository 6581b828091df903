extension KuraError.Code {
    /// The Solana rail is not configured for this network or asset, or its JSON-RPC endpoint did not answer
    /// (HTTP 503: retry later).
    public static let railUnavailable = KuraError.Code(rawValue: "rail_unavailable")
    /// An on-chain transaction offered as a deposit or a receipt does not prove what it must (HTTP 422).
    public static let transferRefused = KuraError.Code(rawValue: "transfer_refused")
    /// The transaction was already used: a deposit credited, a receipt accepted (HTTP 409).
    public static let transferUsed = KuraError.Code(rawValue: "transfer_used")
}
