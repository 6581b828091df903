import KuraCore
import KuraCrypto
import Testing

@Suite("Ledger")
struct LedgerTests {
    typealias F = EscrowFixture

    static let named: [(String, AccountName)] = [
        ("party/pty_payer/available", .available(F.payer)),
        ("escrow/esc_fixture/held", .escrowHeld(F.id)),
        ("reservation/res_abc/held", .reservationHeld(try! ReservationID(validating: "res_abc"))),
        ("channel/ch_abc/held", .channelHeld(try! ChannelID(validating: "ch_abc"))),
        ("fees", .fees),
        ("external", .external),
    ]

    @Test("account names print and parse both ways", arguments: named.map(\.0))
    func names(_ text: String) throws {
        let account = Self.named.first { $0.0 == text }!.1
        #expect(account.rawValue == text)
        #expect(try AccountName(validating: text) == account)
        let json = try JSONValue(encoding: account)
        #expect(json == .string(text))
        #expect(try json.decode(AccountName.self) == account)
    }

    @Test(
        "malformed account names are refused",
        arguments: [
            "", "FEES", "fees/", "/fees", "external/x", "party/pty_payer", "party/pty_payer/held",
            "party/esc_fixture/available", "escrow/pty_payer/held", "party//available", "party/pty_0OIl/available",
            "channel/ch_abc/held/x",
        ])
    func badNames(_ text: String) {
        let error = #expect(throws: KuraError.self) { try AccountName(validating: text) }
        #expect(error?.code == .invalidRequest)
        #expect(AccountName(text) == nil)
    }

    @Test("a deposit makes external negative and the books still balance")
    func deposit() throws {
        var ledger = Ledger()
        ledger.apply([.deposit(to: F.payer, asset: F.usdc, amount: try Amount(units: 500))])
        #expect(ledger.balance(.external, F.usdc) == -500)
        #expect(ledger.balance(.available(F.payer), F.usdc) == 500)
        #expect(ledger.available(F.payer, F.usdc).units == 500)
        #expect(ledger.invariantViolations().isEmpty)
    }

    @Test("a withdrawal beyond the available balance is reported, not refused")
    func overdraw() throws {
        var ledger = Ledger()
        ledger.apply([
            .deposit(to: F.payer, asset: F.usdc, amount: try Amount(units: 100)),
            .withdrawal(from: F.payer, asset: F.usdc, amount: try Amount(units: 150)),
        ])
        #expect(ledger.balance(.available(F.payer), F.usdc) == -50)
        #expect(ledger.available(F.payer, F.usdc) == .zero)
        #expect(ledger.invariantViolations() == ["party/pty_payer/available is -50 USDC, below zero"])
    }

    @Test("a negative held account is reported")
    func negativeHeld() throws {
        var ledger = Ledger()
        ledger.apply(F.back(10))
        #expect(ledger.invariantViolations() == ["escrow/esc_fixture/held is -10 USDC, below zero"])
    }

    @Test("assets balance separately, and a one-sided balance is reported")
    func perAsset() throws {
        let eur = try Asset("EURC")
        var ledger = Ledger()
        ledger.apply([
            .deposit(to: F.payer, asset: F.usdc, amount: try Amount(units: 7)),
            .deposit(to: F.payee, asset: eur, amount: try Amount(units: 9)),
        ])
        #expect(ledger.invariantViolations().isEmpty)
        #expect(ledger.balance(.available(F.payee), F.usdc) == 0)
        #expect(ledger.balance(.available(F.payee), eur) == 9)
    }

    @Test("zero balances are dropped, so equal money means equal ledgers")
    func zeroesDropped() throws {
        let ten = try Amount(units: 10)
        var roundTrip = Ledger()
        roundTrip.apply([
            .deposit(to: F.payer, asset: F.usdc, amount: ten), .withdrawal(from: F.payer, asset: F.usdc, amount: ten),
        ])
        #expect(roundTrip == Ledger())
        #expect(roundTrip.balances.isEmpty)
    }

    @Test("balances that pass Int64 are reported instead of trapping")
    func overflow() throws {
        var ledger = Ledger()
        let max = try Amount(units: Amount.maxUnits)
        ledger.apply(Array(repeating: .deposit(to: F.payer, asset: F.usdc, amount: max), count: 1_025))
        #expect(ledger.invariantViolations().contains { $0.contains("overflowed") })
    }

    @Test("a posting is Codable with accounts as strings and the amount as an integer")
    func postingWire() throws {
        let posting = Posting.deposit(to: F.payer, asset: F.usdc, amount: try Amount(units: 42))
        let json = try JSONValue(encoding: posting)
        #expect(
            try json.canonicalString()
                == #"{"amount":42,"asset":"USDC","from":"external","to":"party/pty_payer/available"}"#)
        #expect(try json.decode(Posting.self) == posting)
    }

    @Test("a posting read straight from JSON is what its Codable form reads, and refuses what it refuses")
    func postingFromJSON() throws {
        let base: [String: JSONValue] = [
            "from": "external", "to": "party/pty_payer/available", "asset": "USDC", "amount": 42,
        ]
        var cases: [JSONValue] = [.object(base), .object(base.merging(["memo": "ignored"]) { $1 })]
        cases.append(.object(base.merging(["amount": 9_007_199_254_740_991]) { $1 }))
        for (name, bad) in [
            ("amount", -1), ("amount", 1.5), ("amount", 9_007_199_254_740_992), ("amount", "42"),
            ("from", "nowhere/at/all"), ("to", 7), ("asset", "has space"), ("asset", ""),
        ] as [(String, JSONValue)] {
            cases.append(.object(base.merging([name: bad]) { $1 }))
        }
        cases.append(.object(base.filter { $0.key != "to" }))
        cases += [.array([]), "posting", .null]
        for json in cases {
            let direct = try? Posting(json: json)
            let decoded = try? json.decode(Posting.self)
            #expect(direct == decoded, "\(json)")
        }
        #expect(
            try Posting(json: .object(base))
                == Posting.deposit(to: F.payer, asset: try Asset("USDC"), amount: try Amount(units: 42)))
    }
}
