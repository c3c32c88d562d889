#!/usr/bin/env python3
"""The ndrs-stats benchmark job done by samplics (0.6.1, pure Python/numpy), on the input that
the Rust bench exported (see stats_common.py and scripts/bench/stats.sh).

Job: rake the full-sample design weights and each bootstrap replicate's design weights to the
same two margins (region, size), then estimate 20 indicators (8 proportions, 8 means, 2 totals,
2 ratios over y8) in each of 30 domains with replicate SEs V = (1/R) sum_r (theta_r - theta)^2.

samplics API used: `SampleWeight().rake(samp_weight, margins, control, tol, ctrl_tol,
max_iter)` once for the full sample and once per replicate (samplics has no replicate-aware
raking: its `ReplicateWeight` only draws replicates, so re-applying the weighting to each
replicate is a loop over `rake`, as its documentation's workflow implies); then
`ReplicateEstimator(RepMethod.bootstrap, PopParam.*).estimate(y, samp_weight, rep_weights,
x=, domain=, rep_coefs=1/R, conservative=True)` per indicator, all 30 domains in one call.
`conservative=True` centres the variance at the full-sample estimate, as ndrs-stats does.
samplics' raking stops when both the change since the previous iteration and the distance to
the controls are <= tol (relative); both are set to the job's tolerance.

Timed: raking (full sample + replicates) and the 20 estimation calls. Not timed: reading files.
With --replicates R' < R only the first R' replicates are used (raking loop and estimation),
the time is also reported scaled by R/R' (both parts are linear in R), and the SEs are not
comparable with the Rust ones (points still are).

Usage: stats_samplics.py JOB_DIR [--replicates R'] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import samplics  # noqa: E402
from samplics import PopParam, ReplicateEstimator, RepMethod, SampleWeight  # noqa: E402

from stats_common import (  # noqa: E402
    Timed,
    best_of,
    compare,
    indicators,
    load_input,
    timing_result,
    write_result,
)

PARAMS = {
    "proportion": PopParam.prop,
    "mean": PopParam.mean,
    "total": PopParam.total,
    "ratio": PopParam.ratio,
}


def rake(w: np.ndarray, margins: dict, controls: dict, tol: float, max_iter: int) -> np.ndarray:
    out = SampleWeight().rake(
        samp_weight=w,
        margins=margins,
        control=controls,
        tol=tol,
        ctrl_tol=tol,
        max_iter=max_iter,
    )
    return np.asarray(out, dtype=np.float64)


def run_job(cols: dict, rep_design: np.ndarray, job: dict):
    r = job["rake"]
    controls = r["margins"]
    margins = {name: cols[name] for name in controls}
    tol, max_iter = r["tolerance"], r["max_iterations"]
    w = rake(cols["weight"], margins, controls, tol, max_iter)
    reps = rep_design.shape[1]
    rep_w = np.empty_like(rep_design)
    for j in range(reps):
        rep_w[:, j] = rake(rep_design[:, j], margins, controls, tol, max_iter)
    coefs = np.full(reps, 1.0 / reps)
    domain = cols["domain"]
    out = {}
    for kind, y, x in indicators():
        est = ReplicateEstimator(method=RepMethod.bootstrap, param=PARAMS[kind])
        kwargs = dict(
            y=cols[y],
            samp_weight=w,
            rep_weights=rep_w,
            rep_coefs=coefs,
            conservative=True,
            domain=domain,
        )
        if x is not None:
            kwargs["x"] = cols[x]
        est.estimate(**kwargs)
        for d in est.point_est:
            p, s = est.point_est[d], est.stderror[d]
            if kind == "proportion":
                p, s = p[1.0] if 1.0 in p else p[1], s[1.0] if 1.0 in s else s[1]
            out[(kind, y, str(d))] = (float(p), float(s))
    return out, w, rep_w


def margin_error(w: np.ndarray, cols: dict, controls: dict) -> float:
    err = 0.0
    for var, targets in controls.items():
        for cat, t in targets.items():
            err = max(err, abs(float(w[cols[var] == cat].sum()) - t) / t)
    return err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("job_dir")
    ap.add_argument("--replicates", type=int, default=None, help="subset (default: all)")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    job, reps, cols, rep_design, rust = load_input(args.job_dir, args.replicates)
    full_reps = job["replicates"]
    rep_design = np.ascontiguousarray(rep_design)

    def timed_run():
        with Timed() as t:
            got = run_job(cols, rep_design, job)
        return got, t

    (got, w, rep_w), best, first = best_of(args.runs, timed_run)
    # Raking convergence check (not timed): every replicate must meet the margins.
    controls = job["rake"]["margins"]
    worst = max(
        [margin_error(w, cols, controls)]
        + [margin_error(rep_w[:, j], cols, controls) for j in range(reps)]
    )
    comparison = compare(rust, got)
    if reps != full_reps:
        # Points do not depend on the replicates; SEs from a subset do.
        comparison["max_rel_diff_se"] = None
        comparison["worst_se"] = None
    result = {
        **timing_result("samplics", best, first, args.runs, reps, full_reps),
        "estimates": len(got),
        "max_rel_margin_error": worst,
        "comparison": comparison,
    }
    write_result(args.job_dir, "samplics", result)
    c = comparison
    se = f"{c['max_rel_diff_se']:.2e}" if c["max_rel_diff_se"] is not None else "n/a (subset)"
    print(
        f"samplics: {len(got)} estimates, {reps} replicates: {best.seconds:.3f} s"
        + (f" (x{full_reps}/{reps} = {result['scaled_seconds']:.1f} s)" if reps != full_reps else "")
        + f", {first.memory()}; raking max margin error {worst:.1e}; "
        f"vs ndrs-stats: max rel diff point {c['max_rel_diff_point']:.2e}, SE {se} "
        f"over {c['compared']} estimates"
    )


if __name__ == "__main__":
    main()
