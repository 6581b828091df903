import Foundation
import KuraCore
import KuraCrypto
import KuraStore

extension KuraService {
    /// The voucher checked against the key its channel pinned (remembered, or read once), outside the writer;
    /// nil when the channel is unknown, pinned no key, or the signature does not verify: the writer then decides
    /// as it always did, verifying against the key it knows.
    func checkedVoucher(_ voucher: ChannelVoucher, signature: [UInt8], channel id: ChannelID) async -> CheckedVoucher? {
        let key: Ed25519.PublicKey?
        if let remembered = channelVoucherKeys[id] {
            key = remembered
        } else {
            // A channel's pinned key never changes (`Channel.agentKey` is set at open): remembered for good,
            // and so is the absence of one. An unknown channel is not remembered.
            let found = try? await self.read(.standard) { reads throws(KuraError) -> ChannelRow? in
                try reads.channel(id)
            }
            guard let row = found else { return nil }
            key = row.channel.agentKey.flatMap { try? Ed25519.PublicKey(base64: $0) }
            channelVoucherKeys.remember(key, for: id)
        }
        return key.flatMap { CheckedVoucher(voucher, signature: signature, key: $0) }
    }
}
