import Foundation
import KuraCrypto
import KuraSolana
import KuraTesting

/// `Fixtures/solana/vectors.json`, written by `scripts/solana-fixtures.py` with solders (the Rust Solana SDK).
struct SolanaVectors: Decodable, Sendable {
    struct Key: Decodable, Sendable {
        let seed: String
        let address: String
        let message: String
        let signature: String
    }
    struct Curve: Decodable, Sendable, CustomStringConvertible {
        let bytes: String
        let onCurve: Bool
        var description: String { bytes }
    }
    struct Found: Decodable, Sendable {
        let seeds: [String]
        let program: String
        let address: String
        let bump: UInt8
    }
    struct Created: Decodable, Sendable {
        let seeds: [String]
        let program: String
        let address: String?
    }
    struct TooLong: Decodable, Sendable {
        let seeds: [String]
        let program: String
    }
    struct ATA: Decodable, Sendable {
        let owner: String
        let mint: String
        let tokenProgram: String
        let address: String
    }
    struct Meta: Decodable, Sendable {
        let key: String
        let signer: Bool
        let writable: Bool
    }
    struct Ix: Decodable, Sendable {
        let program: String
        let accounts: [Meta]
        let data: String
    }
    struct Lookup: Decodable, Sendable {
        let table: String
        let addresses: [String]
    }
    struct Transaction: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let version: String
        let transaction: String
        let message: String
        let messageHash: String
        let numRequiredSignatures: UInt8
        let numReadonlySigned: UInt8
        let numReadonlyUnsigned: UInt8
        let accountKeys: [String]
        let recentBlockhash: String
        let signatures: [String]
        let signatureValid: [Bool]
        let signers: [String: String]
        let instructions: [Ix]?
        let payer: String?
        let lookups: [Lookup]?
        var description: String { name }
    }

    let generator: String
    let keys: [Key]
    let curve: [Curve]
    let findProgramAddress: [Found]
    let createProgramAddress: [Created]
    let seedTooLong: TooLong
    let associatedTokenAccounts: [ATA]
    let transactions: [Transaction]

    static let url = VectorFixtures.root.appendingPathComponent("Fixtures/solana/vectors.json")
    static let shared: SolanaVectors = {
        do { return try JSONDecoder().decode(SolanaVectors.self, from: Data(contentsOf: url)) } catch {
            fatalError("Fixtures/solana/vectors.json: \(error)")
        }
    }()
}

func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text) else { fatalError("bad hex in a fixture: \(text.prefix(40))") }
    return bytes
}

func key(_ text: String) -> SolanaPublicKey {
    do { return try SolanaPublicKey(base58: text) } catch { fatalError("bad address in a fixture: \(text)") }
}
