import KuraCore

/// A row of `payments`: a settled direct payment and the `seq` of its event.
public struct PaymentRow: Sendable, Equatable {
    public var payment: Payment
    public var seq: UInt64

    public init(payment: Payment, seq: UInt64) {
        self.payment = payment
        self.seq = seq
    }
}
