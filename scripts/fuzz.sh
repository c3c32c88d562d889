#!/usr/bin/env bash
# Fuzzes every decoder of client input with libFuzzer (cargo fuzz) for a bounded time per target,
# starting from fuzz/corpus/ and adding what it finds there. A crash stops the run and leaves its
# input in fuzz/artifacts/<target>/: fix the bug, copy the input into fuzz/corpus/<target>/ (the
# corpus replay in `cargo test -p ndrs-fuzz` keeps it fixed) and run again.
#
#   bash scripts/fuzz.sh            # 60 s per target
#   bash scripts/fuzz.sh 3600       # an hour per target
#   bash scripts/fuzz.sh 600 rules  # one target
#
# cargo fuzz passes unstable compiler flags; the machine's one (stable) toolchain accepts them with
# RUSTC_BOOTSTRAP=1, so no nightly is needed. No sanitizer: the code under test is safe Rust, and
# what the fuzzers look for are panics, aborts (a stack overflow), hangs and unbounded memory.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(request rules sample_design content)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1

cargo fuzz build --sanitizer none
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds} s"
    cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
