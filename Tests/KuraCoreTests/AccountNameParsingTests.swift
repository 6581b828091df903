import KuraCore
import KuraTesting
import Testing

/// `AccountName(validating:)` reads the path in place; the rule as it was (split on "/" into parts) is the
/// reference, on seeded paths of every shape, valid and not.
@Suite("ledger account paths read in place, against splitting them")
struct AccountNameParsingTests {
    static func reference(_ text: String) -> AccountName? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where parts[0] == "fees": return .fees
        case 1 where parts[0] == "external": return .external
        case 3 where parts[0] == "party" && parts[2] == "available":
            return (try? PartyID(validating: parts[1])).map { .available($0) }
        case 3 where parts[0] == "escrow" && parts[2] == "held":
            return (try? EscrowID(validating: parts[1])).map { .escrowHeld($0) }
        case 3 where parts[0] == "reservation" && parts[2] == "held":
            return (try? ReservationID(validating: parts[1])).map { .reservationHeld($0) }
        case 3 where parts[0] == "channel" && parts[2] == "held":
            return (try? ChannelID(validating: parts[1])).map { .channelHeld($0) }
        case 3 where parts[0] == "mandate" && parts[2] == "funds":
            return (try? MandateID(validating: parts[1])).map { .mandateFunds($0) }
        case 3 where parts[0] == "position" && parts[2] == "collateral":
            return (try? PositionID(validating: parts[1])).map { .positionCollateral($0) }
        case 3 where parts[0] == "withdrawal" && parts[2] == "pending":
            return (try? WithdrawalID(validating: parts[1])).map { .withdrawalPending($0) }
        case 3 where parts[0] == "position" && parts[2] == "debt":
            return (try? PositionID(validating: parts[1])).map { .positionDebt($0) }
        default: return nil
        }
    }

    @Test("20,000 seeded paths: the same account, or the same refusal")
    func agreesWithSplitting() {
        var random = SplitMix64(seed: 8_128)
        let kinds = [
            "party", "escrow", "reservation", "channel", "mandate", "position", "withdrawal", "fees", "external", "",
            "part",
        ]
        let tails = ["available", "held", "funds", "collateral", "pending", "debt", "", "held/x", "available\u{301}"]
        let prefixes = ["pty", "esc", "res", "chn", "mdt", "pos", "wdr", "dsp", ""]
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        let others: [Character] = ["/", "0", "\u{301}", "é", " ", "_"]
        for n in 0..<20_000 {
            var id = prefixes.randomElement(using: &random)! + "_"
            for _ in 0..<Int.random(in: 0...24, using: &random) {
                id.append(
                    Int.random(in: 0..<30, using: &random) == 0
                        ? others.randomElement(using: &random)! : alphabet.randomElement(using: &random)!)
            }
            let text: String
            switch Int.random(in: 0..<10, using: &random) {
            case 0: text = kinds.randomElement(using: &random)!
            case 1: text = kinds.randomElement(using: &random)! + "/" + id
            case 2:
                text =
                    kinds.randomElement(using: &random)! + "/" + id + "/" + tails.randomElement(using: &random)! + "/"
            case 3:
                text =
                    kinds.randomElement(using: &random)! + "/\u{301}" + id + "/" + tails.randomElement(using: &random)!
            default: text = kinds.randomElement(using: &random)! + "/" + id + "/" + tails.randomElement(using: &random)!
            }
            #expect((try? AccountName(validating: text)) == Self.reference(text), "path \(n): \(text)")
        }
    }
}
