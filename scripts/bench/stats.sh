#!/usr/bin/env bash
# ndrs-stats benchmark against svy and samplics, on the same input, in one command:
#
#     bash scripts/bench/stats.sh          (from the repository root)
#
# 1. creates or reuses a Python venv (NDRS_BENCH_VENV, default /work/.venv-bench, outside the
#    repository) and installs scripts/bench/requirements.txt into it (skipped when unchanged);
# 2. runs the Rust bench (`cargo bench -p ndrs-stats --bench estimate`) with
#    NDRS_BENCH_EXPORT=<job dir>, which also writes the generated data set, the 200 bootstrap
#    replicates' design weights and the 600 estimates there;
# 3. redoes the job (raking of the full sample and of every replicate + 20 indicators x 30
#    domains with replicate SEs) with svy and with samplics, each comparing its numbers with
#    the Rust ones;
# 4. prints one table: wall time and peak RSS of each, ratios to ndrs-stats, max differences.
#
# Environment:
#   NDRS_BENCH_VENV               venv path (default /work/.venv-bench)
#   NDRS_BENCH_PYTHON             interpreter that creates the venv (default python3, >= 3.11)
#   NDRS_BENCH_DIR                job directory (default: a fresh temp dir, removed at exit)
#   NDRS_BENCH_RUNS               timed runs for ndrs-stats and svy, best reported (default 3)
#   NDRS_BENCH_SAMPLICS_REPLICATES  replicates for samplics (default all 200, ~10 min on
#                                 2 cores); fewer = time scaled linearly, SEs not compared
#   CARGO_TARGET_DIR, CARGO_BUILD_JOBS are honoured by cargo as usual.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

venv="${NDRS_BENCH_VENV:-/work/.venv-bench}"
python="${NDRS_BENCH_PYTHON:-python3}"
runs="${NDRS_BENCH_RUNS:-3}"
req="scripts/bench/requirements.txt"

if [ ! -x "$venv/bin/python" ]; then
    echo "== creating venv $venv"
    "$python" -m venv "$venv"
fi
stamp="$venv/.ndrs-bench-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== installing $req into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi

if [ -n "${NDRS_BENCH_DIR:-}" ]; then
    job="$NDRS_BENCH_DIR"
    mkdir -p "$job"
else
    job="$(mktemp -d -t ndrs-bench-XXXXXX)"
    trap 'rm -rf "$job"' EXIT
fi
rm -f "$job"/svy.json "$job"/samplics.json "$job"/job.json

load() { echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
echo "== machine: $(load) (other work on the machine distorts the timings)"

echo "== ndrs-stats (Rust): cargo bench -p ndrs-stats --bench estimate"
NDRS_BENCH_EXPORT="$job" NDRS_BENCH_RUNS="$runs" cargo bench -p ndrs-stats --bench estimate

# Old OpenBLAS workarounds slow a current numpy down; drop them for the Python runs only.
py=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$venv/bin/python" -W ignore)

echo "== svy"
"${py[@]}" scripts/bench/stats_svy.py "$job" --runs "$runs"

echo "== samplics"
samplics_args=()
if [ -n "${NDRS_BENCH_SAMPLICS_REPLICATES:-}" ]; then
    samplics_args=(--replicates "$NDRS_BENCH_SAMPLICS_REPLICATES")
fi
"${py[@]}" scripts/bench/stats_samplics.py "$job" "${samplics_args[@]}"

"${py[@]}" scripts/bench/stats_report.py "$job"
echo "machine at the end: $(load)"
