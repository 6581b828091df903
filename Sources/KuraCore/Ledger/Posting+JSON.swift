import KuraCrypto

extension Posting {
    /// A posting read straight from its JSON form, as its `Codable` conformance reads it (the same members,
    /// the same checks; other members ignored), without going through a `Decoder`. The writer's catch-up reads
    /// every posting another node stored while it holds the write lock, and the decoder's generic path cost
    /// more than the rest of the catch-up (issue 16).
    public init(json: JSONValue) throws(KuraError) {
        guard case .object(let members) = json else { throw KuraError(.invalidRequest, "a posting is an object") }
        func text(_ name: String) throws(KuraError) -> String {
            guard case .string(let value)? = members[name] else {
                throw KuraError(.invalidRequest, "a posting's \(name) is a string")
            }
            return value
        }
        guard case .number(let units)? = members["amount"], units >= 0, units.rounded(.towardZero) == units,
            units <= Double(Amount.maxUnits)
        else { throw KuraError(.invalidRequest, "a posting's amount is a whole number of units") }
        self.init(
            from: try AccountName(validating: try text("from")), to: try AccountName(validating: try text("to")),
            asset: try Asset(try text("asset")), amount: try Amount(units: UInt64(units)))
    }
}
