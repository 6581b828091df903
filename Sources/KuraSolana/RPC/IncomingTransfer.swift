/// What a landed transaction proves about money that reached one token account: the amount of `mint`
/// moved into it by `TransferChecked` instructions, who authorised them, and the memos it carries. Used
/// for deposits to Kura's treasury and for on-chain receipts of the seed dialect.
public struct IncomingTransfer: Sendable, Equatable {
    /// The token account credited.
    public var destination: SolanaPublicKey
    public var mint: SolanaPublicKey
    /// The total of the transfers into `destination`.
    public var amount: UInt64
    /// The authorities of those transfers (the payers).
    public var authorities: [SolanaPublicKey]
    /// Every Memo of the transaction, in order.
    public var memos: [String]

    /// Reads `transaction` for transfers of `mint` into `destination` (static keys only: a transfer whose
    /// accounts come from a lookup table is not counted, since the key cannot be checked offline).
    /// Throws `malformedInstruction` for an instruction of a known program that does not decode.
    public static func read(
        _ transaction: SolanaTransaction, into destination: SolanaPublicKey, mint: SolanaPublicKey
    ) throws(SolanaError) -> IncomingTransfer {
        var found = IncomingTransfer(destination: destination, mint: mint, amount: 0, authorities: [], memos: [])
        let message = transaction.message
        for instruction in message.instructions {
            switch try DecodedInstruction.decode(instruction, in: message) {
            case .transferChecked(let transfer):
                guard transfer.destination.staticKey == destination, transfer.mint.staticKey == mint,
                    let authority = transfer.authority.staticKey
                else { continue }
                let (sum, overflow) = found.amount.addingReportingOverflow(transfer.amount)
                guard !overflow else { throw SolanaError(.malformedInstruction, "the transfers overflow 64 bits") }
                found.amount = sum
                if !found.authorities.contains(authority) { found.authorities.append(authority) }
            case .memo(let text, _):
                found.memos.append(text)
            default:
                continue
            }
        }
        return found
    }

    /// As ``read(_:into:mint:)`` for a landed transaction, the amount capped by what `destination`'s balance
    /// grew by in its `meta` (pre and post token balances): a Token-2022 mint with a transfer fee withholds
    /// part of each `TransferChecked` in the destination, so a transfer of 1000 may make 990 spendable. An
    /// account whose balance the meta does not show received nothing that can be proven.
    public static func read(
        _ fetched: FetchedTransaction, into destination: SolanaPublicKey, mint: SolanaPublicKey
    ) throws(SolanaError) -> IncomingTransfer {
        var found = try read(fetched.transaction, into: destination, mint: mint)
        guard found.amount > 0 else { return found }
        guard let index = fetched.transaction.message.accountKeys.firstIndex(of: destination),
            let post = fetched.postTokenBalances.first(where: { $0.accountIndex == index && $0.mint == mint })
        else {
            found.amount = 0
            return found
        }
        let pre = fetched.preTokenBalances.first { $0.accountIndex == index && $0.mint == mint }?.amount ?? 0
        found.amount = min(found.amount, post.amount > pre ? post.amount - pre : 0)
        return found
    }
}
