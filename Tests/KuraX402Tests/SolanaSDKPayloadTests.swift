import Foundation
import KuraCrypto
import KuraSolana
import KuraTesting
import KuraX402
import Testing

/// Payloads the official x402 Python SDK (`x402[svm]`) built against Kura's `/facilitator/supported` and the
/// stand-in (Fixtures/solana/sdk-payloads.json, written by scripts/check-x402-svm.sh), and their tampered copies
/// rebuilt with solders: the offline checks accept every payload and give each copy the recorded reason.
@Suite("x402 exact on Solana: the official SDK's payloads")
struct SolanaSDKPayloadTests {
    struct Fixture: Decodable, Sendable {
        struct Tampered: Decodable, Sendable {
            let what: String
            let paymentPayload: JSONValue
            let reason: String
        }
        struct Case: Decodable, Sendable, CustomTestStringConvertible {
            let name: String
            let paymentPayload: JSONValue
            let paymentRequirements: JSONValue
            let tampered: [Tampered]
            var testDescription: String { name }
        }
        let generator: String
        let network: String
        let feePayer: String
        let cases: [Case]
    }

    static let fixture: Fixture = {
        let url = VectorFixtures.root.appendingPathComponent("Fixtures/solana/sdk-payloads.json")
        do { return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)) } catch {
            fatalError("Fixtures/solana/sdk-payloads.json: \(error)")
        }
    }()

    static func policy() throws -> SolanaExactPolicy {
        SolanaExactPolicy(
            network: try SolanaNetwork(id: fixture.network), feePayers: [try SolanaPublicKey(base58: fixture.feePayer)])
    }

    @Test("the fixture covers Token, Token-2022 and extra.memo, each with twelve tampered copies")
    func complete() {
        #expect(Self.fixture.generator.contains("x402[svm]"))
        #expect(Self.fixture.cases.count == 4)
        #expect(Self.fixture.cases.allSatisfy { $0.tampered.count == 12 })
    }

    @Test(
        "every SDK payload passes the offline checks; every tampered copy is refused with its reason",
        arguments: SolanaSDKPayloadTests.fixture.cases)
    func replay(_ sdkCase: Fixture.Case) throws {
        let requirements = try X402Codec.decode(PaymentRequirements.self, value: sdkCase.paymentRequirements)
        let payment = try X402Codec.decode(PaymentPayload.self, value: sdkCase.paymentPayload)
        let verified = try SolanaExact.verify(payment, against: requirements, policy: Self.policy())
        #expect(verified.amount == requirements.amount.units && verified.mint.base58 == requirements.asset)
        // The SDK's transaction round-trips byte for byte through Kura's reader.
        let text = try #require(payment.payload["transaction"]?.stringValue)
        #expect(try SolanaTransaction(base64: text).base64 == text)
        for copy in sdkCase.tampered {
            let tampered = try X402Codec.decode(PaymentPayload.self, value: copy.paymentPayload)
            let error = #expect(throws: X402Refusal.self, "\(copy.what)") {
                try SolanaExact.verify(tampered, against: requirements, policy: Self.policy())
            }
            #expect(error?.reason.rawValue == copy.reason, "\(copy.what)")
        }
    }
}
