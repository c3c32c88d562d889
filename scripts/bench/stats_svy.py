#!/usr/bin/env python3
"""The ndrs-stats benchmark job done by svy (0.35, Rust kernels in svy-rs), on the input that the
Rust bench exported (see stats_common.py and scripts/bench/stats.sh).

Job: rake the full-sample design weights and each of the 200 bootstrap replicates' design
weights to the same two margins (region, size), then estimate 20 indicators (8 proportions,
8 means, 2 totals, 2 ratios over y8) in each of 30 domains with replicate SEs
V = (1/R) sum_r (theta_r - theta)^2 (centred at the full-sample estimate).

svy API used, all documented: `svy.Design(..., rep_wgts=svy.BootstrapWgts(prefix, n_reps))` to
declare the replicate design weights the Rust bench drew (svy's own `create_bs_wgts` would draw
others), `sample.weighting.rake(controls=..., tol=..., max_iter=...)`, which rakes the main
weight and every replicate column with the same margins (svy-rs kernel), then
`sample.estimation.{prop,mean,total,ratio}(y, by="domain", method="replication",
variance_center="estimate")`. svy's default centre is the replicate mean; "estimate" is the
full-sample centre that ndrs-stats (and samplics' conservative=True) use.

Timed: the raking call and the 20 estimation calls (each covers the 30 domains), i.e. weighting
+ estimation. Not timed: reading the files and building the polars frame and `svy.Sample`.

Usage: stats_svy.py JOB_DIR [--runs N] [--replicates R]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import svy  # noqa: E402

from stats_common import (  # noqa: E402
    Timed,
    best_of,
    compare,
    indicators,
    load_input,
    timing_result,
    write_result,
)


def build_sample(frame: pl.DataFrame, replicates: int) -> svy.Sample:
    design = svy.Design(
        stratum="stratum",
        psu="psu",
        wgt="weight",
        rep_wgts=svy.BootstrapWgts(prefix="bw", n_reps=replicates),
    )
    return svy.Sample(frame, design)


def run_job(sample: svy.Sample, job: dict) -> dict[tuple[str, str, str], tuple[float, float]]:
    rake = job["rake"]
    sample = sample.weighting.rake(
        controls=rake["margins"],
        tol=rake["tolerance"],
        max_iter=rake["max_iterations"],
        wgt_name="rk_wgt",
    )
    est = sample.estimation
    kw = dict(by="domain", method="replication", variance_center="estimate")
    out = {}
    for kind, y, x in indicators():
        if kind == "proportion":
            t = est.prop(y, **kw).to_polars().filter(pl.col(y) == 1.0)
        elif kind == "mean":
            t = est.mean(y, **kw).to_polars()
        elif kind == "total":
            t = est.total(y, **kw).to_polars()
        else:
            t = est.ratio(y, x, **kw).to_polars()
        for d, p, s in zip(t["domain"], t["est"], t["se"]):
            out[(kind, y, d)] = (float(p), float(s))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("job_dir")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--replicates", type=int, default=None, help="subset (default: all)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    job, reps, cols, w, rust = load_input(args.job_dir, args.replicates)
    full_reps = job["replicates"]
    frame = pl.DataFrame(cols).hstack(pl.DataFrame(w, schema=[f"bw{i}" for i in range(1, reps + 1)]))
    del w, cols

    def timed_run():
        sample = build_sample(frame, reps)  # not timed; dropped when the run returns
        with Timed() as t:
            got = run_job(sample, job)
        return got, t

    got, best, first = best_of(args.runs, timed_run)
    result = {
        **timing_result("svy", best, first, args.runs, reps, full_reps),
        "estimates": len(got),
    }
    if reps == full_reps:
        result["comparison"] = compare(rust, got)
    else:
        result["comparison"] = None
    write_result(args.job_dir, "svy", result)
    c = result["comparison"]
    print(
        f"svy: {len(got)} estimates, {reps} replicates: best of {args.runs} "
        f"{best.seconds:.3f} s, {first.memory()}"
        + (
            f"; vs ndrs-stats: max rel diff point {c['max_rel_diff_point']:.2e}, "
            f"SE {c['max_rel_diff_se']:.2e} over {c['compared']} estimates"
            if c
            else ""
        )
    )


if __name__ == "__main__":
    main()
