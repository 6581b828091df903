/// Associated token accounts: the one token account of an owner for a mint, at the program-derived address
/// of the Associated Token Account program with seeds (owner, token program, mint).
public enum AssociatedTokenAccount {
    /// The associated token account of `owner` for `mint` under `tokenProgram` (Token or Token-2022).
    public static func address(
        owner: SolanaPublicKey, mint: SolanaPublicKey, tokenProgram: SolanaPublicKey = SolanaPrograms.token
    ) -> SolanaPublicKey {
        // Three 32-byte seeds and a bump can always be tried; the chance that all 255 bumps land on the
        // curve is 2^-255, so a failure here would be a broken hash, not an input to refuse.
        guard
            let found = try? ProgramDerivedAddress.find(
                seeds: [owner.bytes, tokenProgram.bytes, mint.bytes], program: SolanaPrograms.associatedToken)
        else { preconditionFailure("no associated token account for \(owner), \(mint)") }
        return found.address
    }
}
