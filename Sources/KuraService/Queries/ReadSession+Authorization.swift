import KuraCore
import KuraCrypto
import KuraStore

/// The authorization questions of queries, on a reader's snapshot (commands ask ``WriterState`` instead).
extension ReadSession {
    /// The party, or `not_found`.
    func requireParty(_ id: PartyID) throws(KuraError) -> Party {
        guard let party = try party(id)?.party else { throw KuraError(.notFound, "no party \(id)") }
        return party
    }

    /// Refuses unless the principal is, right now, an active party with `role`.
    func requireRole(_ role: Party.Role, _ principal: Principal, _ what: String) throws(KuraError) {
        guard try canAct(principal, as: role) else {
            throw KuraError(.forbidden, "only an active \(role.rawValue) may \(what)")
        }
    }

    /// Whether the principal is, right now, an active party with `role`.
    func canAct(_ principal: Principal, as role: Party.Role) throws(KuraError) -> Bool {
        try party(principal.id)?.party.canAct(as: role) ?? false
    }

    /// Refuses unless the principal is `party` itself or, right now, an active operator.
    func requireSelfOrOperator(_ principal: Principal, _ party: PartyID, _ what: String) throws(KuraError) {
        if principal.id == party { return }
        try requireRole(.operator, principal, what)
    }

    /// A party's available balance.
    func available(_ party: PartyID, _ asset: Asset) throws(KuraError) -> Amount {
        let units = try balance(account: AccountName.available(party).rawValue, asset: asset.name)
        guard units >= 0 else { throw KuraError(.internalError, "negative available balance for \(party)") }
        return try Amount(units: UInt64(units))
    }

    /// Refuses unless the principal is the escrow's payer, its payee, or an operator.
    func requireInvolved(_ principal: Principal, in escrow: Escrow) throws(KuraError) {
        guard principal.id == escrow.terms.payer || principal.id == escrow.terms.payee else {
            try requireRole(.operator, principal, "see another party's escrow")
            return
        }
    }
}
