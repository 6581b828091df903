/// The actions on an open dispute, as the HTTP routes and the CLI name them.
public enum DisputeAction: String, Sendable, CaseIterable {
    /// `POST /v1/disputes/{id}/evidence` (payer or payee).
    case evidence
    /// `POST /v1/disputes/{id}/rulings` (a panel arbiter, signed).
    case rulings
    /// `POST /v1/disputes/{id}/recusals` (a panel arbiter).
    case recusals
    /// `POST /v1/disputes/{id}/appeal` (payer or payee).
    case appeal
}
