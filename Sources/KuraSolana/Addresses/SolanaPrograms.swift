/// The programs Kura reads and writes instructions for. Their addresses are the same on every cluster.
public enum SolanaPrograms {
    /// The System program.
    public static let system = SolanaPublicKey(constant: "11111111111111111111111111111111")
    /// SPL Token.
    public static let token = SolanaPublicKey(constant: "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
    /// SPL Token-2022.
    public static let token2022 = SolanaPublicKey(constant: "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
    /// SPL Associated Token Account.
    public static let associatedToken = SolanaPublicKey(constant: "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
    /// Compute Budget.
    public static let computeBudget = SolanaPublicKey(constant: "ComputeBudget111111111111111111111111111111")
    /// SPL Memo (version 2).
    public static let memo = SolanaPublicKey(constant: "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
    /// Lighthouse, the assertion program that wallets such as Phantom and Solflare add to protect their users.
    public static let lighthouse = SolanaPublicKey(constant: "L2TExMFKdjpN9kozasaurPirfHy9P8sbXoAN1qA3S95")

    /// The two token programs whose `TransferChecked` Kura reads.
    public static let tokenPrograms: [SolanaPublicKey] = [token, token2022]
}
