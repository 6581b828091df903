import KuraCore
import KuraCrypto
import KuraService
import KuraTesting
import Testing

/// A money path that key rotation (issue 14, finding 6) would otherwise open: a provider accepts vouchers
/// signed with the agent's key and settles them later; if settlement checked the agent's *current* key, an
/// agent could pay calls, rotate its key, and leave the provider holding vouchers Kura refuses, then close
/// and take the deposit back. A channel therefore pins the key it was opened with.
@Suite("channels keep the voucher key they were opened with")
struct ChannelKeyRotationTests {
    func voucher(_ channel: ChannelID, _ cumulative: UInt64, _ sequence: UInt64, key: String) throws -> JSONValue {
        try JSONValue(
            encoding: SignedVoucher(
                ChannelVoucher(channel: channel, cumulativeAmount: try Amount(units: cumulative), sequence: sequence),
                key: TestKeys.secretKey(key)))
    }

    @Test("after the agent rotates its key, vouchers signed before settle; vouchers by the new key do not")
    func rotationDoesNotVoidVouchers() async throws {
        let world = try await EscrowWorld.make()
        defer { world.close() }
        let service = world.service
        let agent = world.db.principal(world.payer)
        let provider = world.db.principal(world.payee)
        let channel = try await service.openChannel(
            OpenChannelRequest(
                provider: world.payee.id, asset: usdc, amount: try Amount(units: 10_000),
                expiresAt: world.db.clock.now.adding(milliseconds: 86_400_000)),
            by: agent, idempotencyKey: nil
        ).value
        #expect(channel.agentKey == TestKeys.publicKey("payer").base64)
        // Calls paid with the opening key: the provider holds this voucher, not yet settled.
        let held = try voucher(channel.id, 700, 100, key: "payer")

        try await service.rotateTestKey(of: world.payer.id, from: "payer", to: "payer-2", by: agent)
        #expect(try await service.party(world.payer.id).publicKey == TestKeys.publicKey("payer-2"))

        let settled = try await service.act(
            onChannel: channel.id, .settle, body: held, by: provider, idempotencyKey: nil)
        #expect(settled.value.settled.units == 700)
        // The new key does not sign for a channel opened under the old one.
        let refused = await refusal {
            try await service.act(
                onChannel: channel.id, .settle, body: try voucher(channel.id, 800, 101, key: "payer-2"), by: provider,
                idempotencyKey: nil)
        }
        #expect(refused?.code == .voucherInvalid)
        // A channel opened after the rotation takes the new key.
        let after = try await service.openChannel(
            OpenChannelRequest(
                provider: world.payee.id, asset: usdc, amount: try Amount(units: 1_000),
                expiresAt: world.db.clock.now.adding(milliseconds: 86_400_000)),
            by: world.db.principal(try await service.party(world.payer.id)), idempotencyKey: nil
        ).value
        #expect(after.agentKey == TestKeys.publicKey("payer-2").base64)
        #expect(try await service.ledgerViolations() == [])

        // The log alone rebuilds it all: the rotated key and API key, the status, the pinned channel keys.
        let apiKey = try #require(
            try await service.rotateAPIKey(of: world.payer.id, by: agent, idempotencyKey: nil).value.apiKey)
        _ = try await service.changeStatus(
            of: world.stranger.id, .suspend, by: world.db.operatorPrincipal, idempotencyKey: nil)
        let replay = try await service.replay()
        #expect(replay.before == replay.after)
        #expect(try await service.authenticate(apiKey: apiKey).id == world.payer.id)
        #expect(try await service.party(world.payer.id).publicKey == TestKeys.publicKey("payer-2"))
        #expect(try await service.channel(channel.id, by: agent).agentKey == TestKeys.publicKey("payer").base64)
    }
}
