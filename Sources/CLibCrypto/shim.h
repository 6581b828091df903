// OpenSSL's SHA-256 (libcrypto from Debian's libssl-dev), for KuraCrypto's hashing: its block function uses the
// CPU's SHA extensions when present. The low-level SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour
// of EVP, whose per-call set-up costs more than hashing a Merkle node; they remain part of OpenSSL 3's API.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
