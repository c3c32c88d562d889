#!/usr/bin/env bash
# A clone of this repository with nothing beside it (no ../shared) builds and runs the demo on a
# scaled dataset, and runs the tests of the reference data it carries. CI runs this; it checks
# what a green run in a working tree can hide: a file the project reads from outside itself.
#
#   bash scripts/check-clone-alone.sh            # clones the committed HEAD
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet "$ROOT" "$work/ndrs"
if [ -e "$work/shared" ] || [ -e "$work/ndrs/../shared" ]; then
    echo "check-clone-alone: something is beside the clone" >&2
    exit 1
fi
cd "$work/ndrs"
# Registry dependencies are shared with the main build; the clone's own crates build apart (their
# paths differ, so do their artefacts' hashes).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# From another working directory too: the binary carries what the demo needs.
mkdir -p "$work/elsewhere"
cargo build --quiet -p ndrs-cli --bin ndrs
(cd "$work/elsewhere" && "$CARGO_TARGET_DIR/debug/ndrs" demo --scale 0.1 --out "$work/out")
test -s "$work/out/release-2023/report.html"
cargo test --quiet -p ndrs-demo -p ndrs-core
echo "check-clone-alone: a clone with nothing beside it builds, runs the demo and its reference tests"
