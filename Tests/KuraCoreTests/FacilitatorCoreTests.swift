import KuraCore
import KuraCrypto
import Testing

@Suite("Facilitator core: envelopes, mandates, positions, ledger accounts")
struct FacilitatorCoreTests {
    static let agent = try! PartyID(validating: "pty_agent")
    static let provider = try! PartyID(validating: "pty_provider")
    static let usdc = try! Asset("USDC")
    static let sol = try! Asset("SOL")
    static let t0 = Timestamp(milliseconds: 1_735_689_600_000)
    static let key = try! Ed25519.SecretKey(seed: Array(repeating: 7, count: 32))

    static var decision: ReservationDecision {
        ReservationDecision(
            reservation: try! ReservationID(validating: "res_abc"), agent: agent, counterparty: provider,
            lane: .enterprise, amount: try! Amount(units: 1_000), asset: usdc,
            requestHash: String(repeating: "ab", count: 32), issuedAt: t0, expiresAt: t0.adding(milliseconds: 120_000))
    }

    @Test("an envelope is a JWS: EdDSA header with kid, canonical payload, and it opens with the key")
    func envelopeRoundTrip() throws {
        let envelope = DecisionEnvelope.sign(Self.decision, kid: "k+01020304", key: Self.key)
        let parts = envelope.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let header = try #require(Base64.urlDecode(parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"EdDSA","kid":"k+01020304","typ":"JWT"}"#)
        let payload = try #require(Base64.urlDecode(parts[1]))
        #expect(payload == (try JSONValue(encoding: Self.decision).canonicalBytes()))
        #expect(String(decoding: payload, as: UTF8.self).hasPrefix(#"{"agent":"pty_agent","amount":1000,"#))
        #expect(try DecisionEnvelope.open(envelope, keys: ["k+01020304": Self.key.publicKey]) == Self.decision)
        // Deterministic: the same decision and key give the same bytes.
        #expect(DecisionEnvelope.sign(Self.decision, kid: "k+01020304", key: Self.key) == envelope)
    }

    @Test("alg Ed25519 (RFC 9864) and EdDSA (RFC 8037) both open; any other alg, or none, is refused")
    func envelopeAlgorithmNames() throws {
        let keys = ["k": Self.key.publicKey]
        let fully = DecisionEnvelope.sign(Self.decision, kid: "k", key: Self.key, algorithm: .ed25519)
        let header = try #require(Base64.urlDecode(String(fully.prefix { $0 != "." })))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"Ed25519","kid":"k","typ":"JWT"}"#)
        #expect(try DecisionEnvelope.open(fully, keys: keys) == Self.decision)
        let polymorphic = DecisionEnvelope.sign(Self.decision, kid: "k", key: Self.key, algorithm: .edDSA)
        #expect(try DecisionEnvelope.open(polymorphic, keys: keys) == Self.decision)
        // The same signature under a header naming another algorithm: refused before any key is looked at.
        for alg: JSONValue in ["HS256", "ES256", "none", "ed25519", "EDDSA", .null, 1] {
            let forged: JSONValue = ["alg": alg, "kid": "k", "typ": "JWT"]
            let head = Base64.urlEncode(try forged.canonicalBytes())
            let rest = polymorphic.split(separator: ".").dropFirst().joined(separator: ".")
            let error = #expect(throws: KuraError.self) { try DecisionEnvelope.open(head + "." + rest, keys: keys) }
            #expect(error?.code == .envelopeInvalid && error?.detail.contains("alg") == true)
        }
    }

    @Test("an envelope with any byte changed, or an unknown kid, is refused")
    func envelopeTamper() throws {
        let envelope = DecisionEnvelope.sign(Self.decision, kid: "k", key: Self.key)
        let keys = ["k": Self.key.publicKey]
        var bytes = Array(envelope.utf8)
        for index in stride(from: 0, to: bytes.count, by: 37) where bytes[index] != UInt8(ascii: ".") {
            let original = bytes[index]
            bytes[index] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let error = #expect(throws: KuraError.self) {
                try DecisionEnvelope.open(String(decoding: bytes, as: UTF8.self), keys: keys)
            }
            #expect(error?.code == .envelopeInvalid || error?.code == .unknownKey)
            bytes[index] = original
        }
        let unknown = #expect(throws: KuraError.self) { try DecisionEnvelope.open(envelope, keys: [:]) }
        #expect(unknown?.code == .unknownKey)
    }

    @Test("base64url as JWS writes it: RFC 7515 appendix C, no padding, URL alphabet only")
    func base64url() {
        #expect(Base64.urlEncode([3, 236, 255, 224, 193]) == "A-z_4ME")
        #expect(Base64.urlDecode("A-z_4ME") == [3, 236, 255, 224, 193])
        #expect(Base64.urlEncode(Array("f".utf8)) == "Zg" && Base64.urlEncode([]) == "")
        #expect(Base64.urlDecode("A+z/4ME") == nil && Base64.urlDecode("Zg==") == nil && Base64.urlDecode("Z") == nil)
    }

    @Test("the kid is the key name and its note key ID")
    func keyID() {
        let kid = DecisionEnvelope.keyID(name: "kura.local/log", publicKey: Self.key.publicKey)
        let verifier = NoteVerifier(name: "kura.local/log", publicKey: Self.key.publicKey).text
        #expect(verifier.hasPrefix(kid + "+"))
    }

    static func mandate(perTx: UInt64 = 500, daily: UInt64 = 1_000, amount: UInt64 = 10_000) throws -> Mandate {
        let terms = MandateTerms(
            agent: agent, asset: usdc, amount: try Amount(units: amount), perTxCap: try Amount(units: perTx),
            dailyCap: try Amount(units: daily), allowedCounterparties: [provider],
            expiresAt: t0.adding(milliseconds: 1_000_000))
        let events = try Mandate.decideCreate(
            id: try MandateID(validating: "mdt_abc"), terms: terms, by: agent, actorIsOperator: false,
            agentAvailable: try Amount(units: amount), now: t0)
        return try #require(Mandate.fold(events))
    }

    @Test("mandate checks run in order, each with its own code")
    func mandateChecks() throws {
        let mandate = try Self.mandate()
        func code(_ amount: UInt64, to counterparty: PartyID = Self.provider, at now: Timestamp = Self.t0) -> KuraError
            .Code?
        {
            do {
                try mandate.authorize(
                    amount: try Amount(units: amount), asset: Self.usdc, counterparty: counterparty, now: now)
                return nil
            } catch { return error.code }
        }
        #expect(code(500) == nil)
        #expect(code(501) == .capExceeded)
        #expect(code(1, to: Self.agent) == .counterpartyNotAllowed)
        #expect(code(1, at: Self.t0.adding(milliseconds: 1_000_000)) == .mandateInactive)
        let small = try Self.mandate(perTx: 500, daily: 1_000, amount: 100)
        #expect(throws: KuraError(.mandateExhausted, "mandate mdt_abc has 100 USDC left; asked 200")) {
            try small.authorize(
                amount: try Amount(units: 200), asset: Self.usdc, counterparty: Self.provider, now: Self.t0)
        }
    }

    @Test("a reservation draws on the day's spend; a void gives it back; the next UTC day starts from zero")
    func dailySpend() throws {
        var mandate = try Self.mandate()
        let reservation = Reservation(
            id: try ReservationID(validating: "res_abc"), lane: .enterprise, mandateId: mandate.id, positionId: nil,
            agent: Self.agent, counterparty: Self.provider, amount: try Amount(units: 400), asset: Self.usdc,
            requestHash: String(repeating: "0", count: 64), resource: nil, paymentId: nil, issuedAt: Self.t0,
            expiresAt: Self.t0.adding(milliseconds: 120_000))
        let reserved = try Reservation.decideReserve(reservation)
        #expect(
            reserved.first?.postings == [
                Posting(
                    from: .mandateFunds(mandate.id), to: .reservationHeld(reservation.id), asset: Self.usdc,
                    amount: try Amount(units: 400))
            ])
        mandate.apply(reserved[0], reservation: nil)
        #expect(mandate.spentToday.units == 400 && mandate.balance.units == 9_600)
        let voided = try reservation.decideVoid(
            .expired, refundTo: reservation.source, now: reservation.expiresAt)
        mandate.apply(voided[0], reservation: reservation)
        #expect(mandate.spentToday == .zero && mandate.balance.units == 10_000)
        let early = #expect(throws: KuraError.self) {
            try reservation.decideVoid(.expired, refundTo: reservation.source, now: Self.t0)
        }
        #expect(early?.code == .invalidTransition)
        #expect(mandate.spent(onDay: UTCDay.of(Self.t0) + 1) == .zero)
        #expect(UTCDay.of(Timestamp(milliseconds: -1)) == -1)
    }

    @Test("prices value collateral exactly in integers; liquidation sells the fewest units that cover the debt")
    func priceArithmetic() throws {
        let price = Price(base: Self.sol, quote: Self.usdc, units: 890, at: Self.t0)
        #expect(price.value(of: try Amount(units: 100_000_000_000)).units == 89_000)
        #expect(price.baseUnits(covering: try Amount(units: 50_000)) == 56_179_775_281)
        #expect(price.value(of: try Amount(units: 56_179_775_281)).units == 50_000)
        #expect(price.value(of: try Amount(units: 56_179_775_280)).units == 49_999)
        let huge = Price(base: Self.sol, quote: Self.usdc, units: Amount.maxUnits, at: Self.t0)
        #expect(huge.value(of: try Amount(units: Amount.maxUnits)).units == Amount.maxUnits)
    }

    @Test("new account names print and parse; a position's debt may be negative but never positive")
    func accounts() throws {
        let position = try PositionID(validating: "pos_abc")
        let mandate = try MandateID(validating: "mdt_abc")
        for (text, account) in [
            ("mandate/mdt_abc/funds", AccountName.mandateFunds(mandate)),
            ("position/pos_abc/collateral", .positionCollateral(position)),
            ("position/pos_abc/debt", .positionDebt(position)),
        ] {
            #expect(account.rawValue == text)
            #expect(try AccountName(validating: text) == account)
        }
        var ledger = Ledger()
        ledger.apply([
            Posting(
                from: .positionDebt(position), to: .reservationHeld(try ReservationID(validating: "res_abc")),
                asset: Self.usdc, amount: try Amount(units: 10))
        ])
        #expect(ledger.invariantViolations() == [])
        ledger.apply([
            Posting(from: .external, to: .positionDebt(position), asset: Self.usdc, amount: try Amount(units: 11))
        ])
        #expect(ledger.invariantViolations() == ["position/pos_abc/debt is 1 USDC, above zero (repaid more than owed)"])
    }

    @Test("a settlement record's ledger signature verifies, and not for a changed record")
    func settlementRecord() throws {
        var record = SettlementRecord(
            rail: SettlementRecord.ledgerRail, subject: "res_abc", lane: .cryptoFast, payer: Self.agent,
            payee: Self.provider, amount: try Amount(units: 1_000), fee: try Amount(units: 1),
            net: try Amount(units: 999),
            asset: Self.usdc, settledAt: Self.t0)
        let signature = record.ledgerSignature(with: Self.key)
        #expect(Base58.decode(signature)?.count == 64)
        #expect(record.verifyLedgerSignature(signature, with: Self.key.publicKey))
        #expect(String(decoding: record.canonicalBytes(), as: UTF8.self).contains(#""lane":"crypto-fast""#))
        record.net = try Amount(units: 1_000)
        #expect(!record.verifyLedgerSignature(signature, with: Self.key.publicKey))
    }
}
