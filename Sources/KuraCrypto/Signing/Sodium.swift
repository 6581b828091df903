import CSodium

/// libsodium must be initialised once before use; `sodium_init` is idempotent and thread-safe.
let sodiumReady: Bool = sodium_init() >= 0

@inline(__always)
func ensureSodium() {
    precondition(sodiumReady, "libsodium failed to initialise")
}
