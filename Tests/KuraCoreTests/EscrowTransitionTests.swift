import KuraCore
import Testing

/// Every state × every command × every role, against a table written out by hand.
@Suite("Escrow transitions")
struct EscrowTransitionTests {
    typealias F = EscrowFixture

    enum Who: String, CaseIterable, Sendable {
        case payer, payee, stranger, system
        var actor: PartyID? {
            switch self {
            case .payer: F.payer
            case .payee: F.payee
            case .stranger: F.stranger
            case .system: nil
            }
        }
    }

    enum Command: String, CaseIterable, Sendable {
        case lock, deliver, confirm, dispute, cancel, refund, autoRelease, expire

        var value: EscrowCommand {
            switch self {
            case .lock: .lock(F.terms())
            case .deliver: .deliver(evidence: F.evidence)
            case .confirm: .confirm
            case .dispute: .dispute(reason: "late", evidence: [], disputeId: F.disputeId)
            case .cancel: .cancel
            case .refund: .refund
            case .autoRelease: .autoRelease
            case .expire: .expire
            }
        }

        /// A moment at which the command is timely if its state allows it, so the table is about state and role.
        var now: Timestamp {
            switch self {
            case .lock, .cancel: F.t0.adding(milliseconds: 1_000)
            case .deliver: F.deliveredAt
            case .confirm, .dispute, .refund: F.later
            case .autoRelease: F.deliveredAt.adding(milliseconds: F.confirmWindowMs)
            case .expire: F.deliverBy.adding(milliseconds: 1)
            }
        }
    }

    /// Who alone may issue each command, and the state it leads to from each state ("·" = invalid_transition).
    /// Columns: locked, delivered, released, disputed, resolved, cancelled, refunded, expired.
    static let table: [Command: (who: Who, next: [String])] = [
        .lock: (.payer, ["·", "·", "·", "·", "·", "·", "·", "·"]),
        .deliver: (.payee, ["delivered", "·", "·", "·", "·", "·", "·", "·"]),
        .confirm: (.payer, ["·", "released", "·", "·", "·", "·", "·", "·"]),
        .dispute: (.payer, ["·", "disputed", "·", "·", "·", "·", "·", "·"]),
        .cancel: (.payer, ["cancelled", "·", "·", "·", "·", "·", "·", "·"]),
        .refund: (.payee, ["refunded", "refunded", "·", "refunded", "·", "·", "·", "·"]),
        .autoRelease: (.system, ["·", "released", "·", "·", "·", "·", "·", "·"]),
        .expire: (.system, ["expired", "·", "·", "·", "·", "·", "·", "·"]),
    ]

    enum Outcome: Equatable {
        case reaches(Escrow.State)
        case refused(KuraError.Code)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var state: Escrow.State
        var command: Command
        var who: Who
        var testDescription: String { "\(command.rawValue) by \(who.rawValue) in \(state.rawValue)" }

        /// The state reached, or the error code.
        var expected: Outcome {
            let row = EscrowTransitionTests.table[command]!
            guard who == row.who else { return .refused(.forbidden) }
            let next = row.next[Escrow.State.allCases.firstIndex(of: state)!]
            return next == "·" ? .refused(.invalidTransition) : .reaches(Escrow.State(rawValue: next)!)
        }
    }

    static let cases: [Case] = Escrow.State.allCases.flatMap { state in
        Command.allCases.flatMap { command in Who.allCases.map { Case(state: state, command: command, who: $0) } }
    }

    @Test("the table covers every state, command and role")
    func coverage() {
        #expect(Self.cases.count == 8 * 8 * 4)
        #expect(Self.table.count == Command.allCases.count)
    }

    @Test("decide follows the table", arguments: cases)
    func transition(_ c: Case) throws {
        var escrow = try F.escrow(in: c.state)
        #expect(escrow.state == c.state)
        let outcome = Result { () throws(KuraError) in
            try escrow.decide(c.command.value, by: c.who.actor, now: c.command.now, context: F.context())
        }
        switch (c.expected, outcome) {
        case (.reaches(let next), .success(let events)):
            #expect(events.map { $0.type } == ["escrow.\(next.rawValue)"])
            for event in events { escrow.apply(event) }
            #expect(escrow.state == next)
        case (.refused(let code), .failure(let error)):
            #expect(error.code == code, Comment(rawValue: error.detail))
        case (let expected, let actual):
            Issue.record("expected \(expected), got \(actual)")
        }
    }

    @Test("lock creates the escrow only when the payer asks", arguments: Who.allCases)
    func lock(who: Who) {
        let outcome = Result { () throws(KuraError) in
            try Escrow.decideLock(id: F.id, terms: F.terms(), by: who.actor, now: F.t0, context: F.context())
        }
        if who == .payer {
            let events = try? outcome.get()
            #expect(events?.map(\.type) == ["escrow.locked"])
            #expect(events.flatMap(Escrow.fold)?.state == .locked)
        } else {
            #expect(throws: KuraError.self) { try outcome.get() }
            if case .failure(let error) = outcome { #expect(error.code == .forbidden) }
        }
    }

    @Test("terminal states are exactly released, resolved, cancelled, refunded and expired")
    func terminal() {
        #expect(Escrow.State.allCases.filter(\.isTerminal) == [.released, .resolved, .cancelled, .refunded, .expired])
    }

    @Test("fold refuses a history that does not start with locked")
    func foldNeedsLocked() {
        #expect(Escrow.fold([]) == nil)
        #expect(Escrow.fold([F.delivered]) == nil)
    }

    @Test("an invalid transition names the state and the reason")
    func detail() throws {
        let escrow = try F.escrow(in: .released)
        let error = #expect(throws: KuraError.self) {
            try escrow.decide(.confirm, by: F.payer, now: F.later, context: F.context())
        }
        #expect(error?.detail.contains("released") == true)
        #expect(error?.detail.contains("terminal") == true)
    }

    @Test("applying folded events reproduces the wire fields of each state")
    func appliedFields() throws {
        let released = try F.escrow(in: .released)
        #expect(released.deliveredAt == F.deliveredAt && released.evidence == F.evidence)
        #expect(released.releasedAt == F.later && released.closedAt == F.later && released.fee?.units == 50)
        let disputed = try F.escrow(in: .disputed)
        #expect(disputed.disputeId == F.disputeId && disputed.closedAt == nil)
        #expect(try F.escrow(in: .expired).closedAt == F.deliverBy.adding(milliseconds: 1))
    }
}
