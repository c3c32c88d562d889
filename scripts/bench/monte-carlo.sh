#!/usr/bin/env bash
# The full-volume model's Monte Carlo benchmark against a straightforward numpy implementation of
# the same model, in one command (from the repository root):
#
#     bash scripts/bench/monte-carlo.sh
#
# 100,000 draws over 200 parameters (50 device types x installed base, active share, created and
# captured bytes per active unit), six outputs with mean, sd, p5/p50/p95 and the variance-share
# ranking. Each side reports the best wall time of three runs and its peak resident memory; the
# last line gives the ratios, measured in this same run.
#
# numpy comes from the benchmark venv shared with scripts/bench/stats.sh (NDRS_BENCH_VENV,
# default /work/.venv-bench, created and filled from scripts/bench/requirements.txt if missing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

venv="${NDRS_BENCH_VENV:-/work/.venv-bench}"
if [ ! -x "$venv/bin/python" ]; then
    echo "== creating venv $venv"
    "${NDRS_BENCH_PYTHON:-python3}" -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import numpy" 2>/dev/null; then
    echo "== installing numpy into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "$(grep '^numpy==' scripts/bench/requirements.txt)"
fi

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rust_out="$(cargo bench -p ndrs-production --bench monte_carlo 2>/dev/null)"
echo "$rust_out"
numpy_out="$("$venv/bin/python" scripts/bench/numpy_monte_carlo.py)"
echo "$numpy_out"

# "… best of 3 0.123 s, peak memory 45.6 MiB …" -> "0.123 45.6"
figures() { sed -nE 's/.*best of [0-9]+ ([0-9.]+) s, peak memory ([0-9.]+) MiB.*/\1 \2/p' | head -1; }
read -r rust_s rust_mib <<<"$(echo "$rust_out" | figures)"
read -r numpy_s numpy_mib <<<"$(echo "$numpy_out" | figures)"
awk -v rs="$rust_s" -v rm="$rust_mib" -v ns="$numpy_s" -v nm="$numpy_mib" 'BEGIN {
    printf "ratio: numpy / ndrs time %.2fx, numpy / ndrs peak memory %.2fx\n", ns / rs, nm / rm
}'
