#!/usr/bin/env bash
# The long form of the fuzzing campaign (Docs/reliability.md): coverage-guided fuzzing with libFuzzer and
# AddressSanitizer of the targets in Sources/KuraFuzz (the JSON parser, the x402 header codecs, the
# signed-note parser, the bundle parser), starting from the committed corpus in Fixtures/fuzz.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]      # default: 120 s, every target
#   KURA_FUZZ_UPDATE_CORPUS=1 scripts/fuzz.sh 600       # then merge new coverage into Fixtures/fuzz
#
# Builds KuraCrypto, KuraX402 and KuraFuzz with `swiftc -sanitize=fuzzer,address` into .build-fuzz (no
# SwiftPM: its fuzzer flags reach every dependency). A crash leaves the input in .build-fuzz/crashes and
# fails the script. The short form runs in the test suite (KuraFuzzTests: seeded mutations of the corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(json x402-header signed-note bundle)

out=.build-fuzz
mkdir -p "$out/crashes"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$out" -L "$out")
sodium_flags=($(pkg-config --cflags-only-I libsodium libcrypto | sed 's/-I/-Xcc -I/g'))

module() {  # module NAME SOURCES_DIR [extra flags…]
    local name="$1" dir="$2"
    shift 2
    echo "compiling $name…" >&2
    swiftc "${flags[@]}" "$@" -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -emit-library -static -o "$out/lib$name.a" $(find "$dir" -name '*.swift' | sort)
}
if [[ ! -x "$out/kura-fuzz" || -n "$(find Sources/KuraCrypto Sources/KuraX402 Sources/KuraFuzz scripts/fuzz -newer "$out/kura-fuzz" -name '*.swift' | head -1)" ]]; then
    module KuraCrypto Sources/KuraCrypto -I Sources/CSodium -I Sources/CLibCrypto "${sodium_flags[@]}"
    module KuraX402 Sources/KuraX402 -I Sources/CSodium -I Sources/CLibCrypto
    module KuraFuzz Sources/KuraFuzz -I Sources/CSodium -I Sources/CLibCrypto
    echo "linking kura-fuzz…" >&2
    swiftc "${flags[@]}" -I Sources/CSodium -I Sources/CLibCrypto scripts/fuzz/main.swift -o "$out/kura-fuzz" \
        -lKuraFuzz -lKuraX402 -lKuraCrypto $(pkg-config --libs libsodium libcrypto)
fi

status=0
for target in "${targets[@]}"; do
    work="$out/corpus/$target"
    mkdir -p "$work"
    echo "== $target: ${seconds} s" >&2
    if ! KURA_FUZZ_TARGET="$target" "$out/kura-fuzz" "$work" "Fixtures/fuzz/$target" \
        -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/crashes/$target-" \
        -max_len=16384 -timeout=10 -rss_limit_mb=2048 2>"$out/$target.log"; then
        echo "$target: FAILED (see $out/$target.log and $out/crashes)" >&2
        status=1
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov: " "$out/$target.log" | tail -3 >&2 || true
    if [[ "${KURA_FUZZ_UPDATE_CORPUS:-0}" == 1 ]]; then
        KURA_FUZZ_TARGET="$target" "$out/kura-fuzz" -merge=1 "Fixtures/fuzz/$target" "$work" 2>/dev/null
    fi
done
exit "$status"
