import KuraCrypto

/// The RFC 6962 root of `leaves` (leaf hashes), by the recursive definition of RFC 6962 section 2.1:
/// no stored nodes, no frontier, nothing shared with the code under test but SHA-256.
public func naiveRoot(_ leaves: some Collection<[UInt8]>) -> [UInt8] {
    let leaves = Array(leaves)
    if leaves.isEmpty { return SHA256.hash([UInt8]()) }
    if leaves.count == 1 { return leaves[0] }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    return SHA256.hash([0x01] + naiveRoot(leaves[..<k]) + naiveRoot(leaves[k...]))
}
