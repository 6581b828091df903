import KuraCore
import KuraCrypto

/// Where a settlement is executed and what proves it. The ledger postings of the settled event always record
/// the money moving inside Kura; a rail adds the proof a payee can show elsewhere (`txSignature`). On-chain
/// rails plug in here; Kura's own ledger is the built-in one.
public protocol SettlementRail: Sendable {
    /// The rail's name, written into every record it settles (e.g. `kura-ledger`).
    var name: String { get }
    /// Executes the settlement described by `record` and returns its proof. Runs inside the write transaction
    /// of the settle, so it must be quick and must not fail for a well-formed record.
    func execute(_ record: SettlementRecord) throws(KuraError) -> String
}

/// Kura's own ledger as a rail: the settlement is the event's postings, and the proof is base58 of Kura's
/// Ed25519 signature over the record's canonical JSON (``SettlementRecord/ledgerSignature(with:)``), checkable
/// with the key in `GET /.well-known/jwks.json` or `GET /v1/log/key`.
public struct LedgerRail: SettlementRail {
    public let name = SettlementRecord.ledgerRail
    let key: Ed25519.SecretKey

    /// A rail signing with `signer`'s key.
    public init(signer: NoteSigner) { key = signer.key }

    public func execute(_ record: SettlementRecord) throws(KuraError) -> String {
        record.ledgerSignature(with: key)
    }
}
