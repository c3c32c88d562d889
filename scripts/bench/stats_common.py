"""Shared helpers of the ndrs-stats comparison benchmark (scripts/bench/stats.sh).

The Rust bench (crates/ndrs-stats/benches/estimate.rs, run with NDRS_BENCH_EXPORT=<dir>) writes
the job's input and its results to <dir>; the svy and samplics scripts load them with these
helpers, redo the job with their package, and compare with the Rust numbers.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from importlib import metadata

import numpy as np

INDICATORS = 20


def load_job(job_dir: str) -> dict:
    with open(os.path.join(job_dir, "job.json")) as f:
        return json.load(f)


def load_columns(job_dir: str) -> dict[str, np.ndarray]:
    """data.csv as numpy columns: fixed-width unicode arrays (numpy `<U`) for identifiers and
    categories, float64 for the rest. `<U` rather than object arrays because samplics compares
    category arrays elementwise (`domain == d`), which is 2-3 times faster on `<U` arrays."""
    with open(os.path.join(job_dir, "data.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols: list[list[str]] = [[] for _ in header]
        for row in reader:
            for c, v in zip(cols, row):
                c.append(v)
    out: dict[str, np.ndarray] = {}
    for name, values in zip(header, cols):
        if name in ("stratum", "psu", "domain", "region", "size"):
            out[name] = np.asarray(values, dtype=str)
        else:
            # Python's float() parses the shortest round-trip decimals exactly.
            out[name] = np.asarray([float(v) for v in values], dtype=np.float64)
    return out


def load_rep_design_weights(job_dir: str, n: int, replicates: int) -> np.ndarray:
    """Replicate design weights as an (n, replicates) float64 matrix (C order)."""
    raw = np.fromfile(os.path.join(job_dir, "rep_design_weights.f64"), dtype="<f8")
    assert raw.size == n * replicates, (raw.size, n, replicates)
    return np.ascontiguousarray(raw.reshape(replicates, n).T)


def load_rust_estimates(job_dir: str) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(kind, y, domain) -> (point, se) as computed by ndrs-stats."""
    out = {}
    with open(os.path.join(job_dir, "estimates.csv"), newline="") as f:
        for row in csv.DictReader(f):
            out[(row["kind"], row["y"], row["domain"])] = (float(row["point"]), float(row["se"]))
    return out


def load_input(job_dir: str, replicates: int | None):
    """Everything the Rust bench exported to `job_dir`: (job, replicates used, data columns,
    replicate design weights of the first `replicates` replicates (default: all) as an
    (n, replicates) view, Rust estimates). The view is not copied, so that a caller building its
    own frame from it holds the weights once."""
    job = load_job(job_dir)
    full_reps = job["replicates"]
    reps = replicates or full_reps
    cols = load_columns(job_dir)
    rep_design = load_rep_design_weights(job_dir, job["n"], full_reps)[:, :reps]
    return job, reps, cols, rep_design, load_rust_estimates(job_dir)


def indicators() -> list[tuple[str, str, str | None]]:
    """(kind, y, x) of the 20 indicators, as in the Rust bench."""
    out = []
    for k in range(INDICATORS):
        y = f"y{k}"
        if k < 8:
            out.append(("proportion", y, None))
        elif k < 16:
            out.append(("mean", y, None))
        elif k < 18:
            out.append(("total", y, None))
        else:
            out.append(("ratio", y, "y8"))
    return out


def status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Resets the peak-RSS mark (VmHWM) to the current RSS (Linux clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Timed:
    """Times the estimation work and measures the peak RSS during it.

    `with Timed() as t: ...` records wall time (perf_counter), the RSS before, the peak RSS of
    the section (VmHWM after resetting it at entry) and the process-wide peak.
    """

    def __enter__(self):
        self.setup_peak = status_kib("VmHWM")
        self.rss_before = status_kib("VmRSS")
        self.reset = reset_peak_rss()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.job_peak = status_kib("VmHWM") if self.reset else None
        peaks = [p for p in (self.setup_peak, status_kib("VmHWM")) if p is not None]
        self.process_peak = max(peaks) if peaks else None
        return False

    def memory(self) -> str:
        """The memory figures as the scripts print them."""
        return (
            f"peak RSS {self.process_peak} kB (process), {self.job_peak} kB during the timed "
            f"job (RSS before {self.rss_before} kB)"
        )


def best_of(runs: int, timed_run):
    """Calls `timed_run()` `runs` times (at least once); each call returns its result and the
    `Timed` of the section it timed, so that untimed setup can stay outside that section.

    Returns the last result, the fastest run's `Timed` (for the wall time) and the first run's
    (for the memory figures, which are taken from a fresh process state)."""
    best = first = None
    for _ in range(max(1, runs)):
        got, t = timed_run()
        if first is None:
            first = t
        if best is None or t.seconds < best.seconds:
            best = t
    return got, best, first


def timing_result(
    package: str, best: Timed, first: Timed, runs: int, reps: int, full_reps: int
) -> dict:
    """The fields every <package>.json result starts with, in the order stats_report.py and the
    other results have them: what ran, its wall time (also scaled to all `full_reps` replicates
    when only `reps` were used) and its memory."""
    return {
        "name": package,
        "version": metadata.version(package),
        "seconds": best.seconds,
        "runs": runs,
        "replicates": reps,
        "scaled_seconds": best.seconds * full_reps / reps,
        "peak_rss_kib": first.process_peak,
        "job_peak_rss_kib": first.job_peak,
        "rss_before_kib": first.rss_before,
    }


def compare(
    rust: dict[tuple[str, str, str], tuple[float, float]],
    other: dict[tuple[str, str, str], tuple[float, float]],
) -> dict:
    """Max relative differences of points and SEs over the keys of `rust`."""
    max_point = max_se = 0.0
    worst_point = worst_se = None
    missing = []
    for key, (p, s) in rust.items():
        if key not in other:
            missing.append(key)
            continue
        q, t = other[key]
        dp = abs(q - p) / max(abs(p), 1e-300)
        ds = abs(t - s) / max(abs(s), 1e-300)
        if not math.isfinite(dp) or dp > max_point:
            max_point, worst_point = dp, key
        if not math.isfinite(ds) or ds > max_se:
            max_se, worst_se = ds, key
    return {
        "compared": len(rust) - len(missing),
        "missing": [list(k) for k in missing],
        "max_rel_diff_point": max_point,
        "max_rel_diff_se": max_se,
        "worst_point": list(worst_point) if worst_point else None,
        "worst_se": list(worst_se) if worst_se else None,
    }


def write_result(job_dir: str, name: str, result: dict) -> None:
    with open(os.path.join(job_dir, f"{name}.json"), "w") as f:
        json.dump(result, f, indent=2)
