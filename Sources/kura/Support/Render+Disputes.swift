import Foundation
import KuraCore

extension Render {
    static func disputeSummary(_ d: Dispute, now: Timestamp) {
        printTable(
            ["field", "value"],
            [
                ["id", d.id.rawValue], ["escrow", d.escrowId.rawValue], ["state", d.state.rawValue],
                ["round", "\(d.round)"], ["amount", "\(d.amount) \(d.asset)"],
                ["panel", d.panel.map(\.rawValue).joined(separator: ", ")],
                ["rulings", "\(d.currentRulings.count) of \(d.panel.count)"],
                ["deadline", d.dueAt.map { Elapsed.relative($0, now: now) } ?? "-"],
                ["outcome", outcome(d)],
            ])
    }

    static func dispute(_ view: DisputeView, now: Timestamp) {
        let d = view.dispute
        disputeSummary(d, now: now)
        print("\npayer \(d.payer) · payee \(d.payee) · opened \(d.openedAt) · reason: \(d.reason)")
        print("\nevidence")
        printTable(
            ["at", "side", "digests", "statement"],
            d.evidence.map { e in
                [
                    "\(e.at)", e.by == d.payer ? "payer" : "payee", e.evidence.joined(separator: " "),
                    e.statement ?? "",
                ]
            })
        print("\nrulings")
        printTable(
            ["round", "arbiter", "refundBps", "quality", "reason"],
            d.rulings.map {
                ["\($0.round)", $0.arbiter.rawValue, "\($0.refundBps)", $0.quality.map(String.init) ?? "-", $0.reason]
            })
        print("\ndeadlines")
        printTable(
            ["what", "at"],
            [
                ["payee response", "\(d.responseDueAt)"], ["ruling", d.rulingDueAt.map { "\($0)" } ?? "-"],
                ["appeal", d.decision.map { "\($0.appealDueAt)" } ?? "-"],
            ])
        print("\ntimeline")
        printTable(
            ["seq", "at", "event", "actor"], view.timeline.map { ["\($0.seq)", "\($0.at)", $0.type, $0.actor] })
    }

    private static func outcome(_ d: Dispute) -> String {
        if let r = d.resolution {
            return
                "refund \(r.refund) · payout \(r.payout) · fee \(r.fee) (\(r.refundBps) bps\(r.byDefault ? ", by default" : ""))"
        }
        if let decision = d.decision {
            return "decided \(decision.refundBps) bps, appealable until \(decision.appealDueAt)"
        }
        return "-"
    }
}

/// Short human durations for tables.
enum Elapsed {
    /// `3d4h`, `2h05m`, `45s`.
    static func text(_ ms: Int64) -> String {
        let s = max(0, ms) / 1000
        if s >= 86_400 { return "\(s / 86_400)d\((s % 86_400) / 3600)h" }
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s >= 3600 { return "\(s / 3600)h\(two((s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(two(s % 60))s" }
        return "\(s)s"
    }

    /// `1752501600000 (in 2h05m)` or `… (4m ago)`.
    static func relative(_ t: Timestamp, now: Timestamp) -> String {
        let delta = t.milliseconds - now.milliseconds
        return "\(t) (" + (delta >= 0 ? "in \(text(delta))" : "\(text(-delta)) ago") + ")"
    }
}
