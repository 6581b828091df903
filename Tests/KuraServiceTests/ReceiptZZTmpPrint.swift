import Foundation
import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

@Test func printWorkedExample() async throws {
    let session = try await ScenarioRunner.start(GoldenFixtures.scenario("happy-path"))
    defer { session.close() }
    let bundle = try await session.service.bundle(4)
    let receipt = try #require(bundle["receipt"])
    let bytes = try receipt.canonicalBytes()
    print("RECEIPT", String(decoding: bytes, as: UTF8.self))
    print("LEAF", Hex.encode(MerkleHash.leaf(bytes)))
    print("PROOF", try bundle["proof"]!.canonicalString())
    for h in bundle["proof"]!["hashes"]!.arrayValue! { print("HASHHEX", Hex.encode(Base64.decode(h.stringValue!)!)) }
    print("NOTE", bundle["checkpoint"]!.stringValue!.debugDescription)
    print("VKEY", TestKeys.serviceSigner.verifier.text)
    print("PUB", Hex.encode(TestKeys.serviceSigner.verifier.publicKey.bytes))
    print("KEYID", Hex.encode(TestKeys.serviceSigner.keyID))
    try Data((try bundle.canonicalBytes()) + [0x0A]).write(to: URL(fileURLWithPath: "/tmp/example-bundle.json"))
    try Data((TestKeys.serviceSigner.verifier.text + "\n").utf8).write(to: URL(fileURLWithPath: "/tmp/example.vkey"))
}
