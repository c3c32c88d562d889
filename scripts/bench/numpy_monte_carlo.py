#!/usr/bin/env python3
"""A straightforward vectorised numpy implementation of the Monte Carlo benchmark in
crates/ndrs-production/benches/monte_carlo.rs, for comparison: the same model (50 device
types x installed base, active share, created and captured bytes per active unit; production
= base x share x (created + captured); outputs the total and five group totals), the same
distributions (normals truncated to [0, inf) or [0, 1], triangular), 100,000 draws, the same
summaries (mean, sd with ddof=1, p5/p50/p95 by numpy's default linear interpolation, squared
Pearson correlations normalised to sum to 1, ranked).

Truncated normals are drawn by redrawing out-of-bounds values (the Rust code uses the inverse
CDF); both give the same distribution, not the same draws.

Run both from the workspace root:
    cargo bench -p ndrs-production --bench monte_carlo && python3 scripts/bench/numpy_monte_carlo.py
Prints the best wall time of three runs and the peak resident memory (ru_maxrss).
"""

import resource
import time

import numpy as np

DEVICE_TYPES = 50
GROUPS = 5
DRAWS = 100_000
SEED = 2023
RUNS = 3


def truncated_normal(rng, mean, sd, low, high, n):
    x = rng.normal(mean, sd, n)
    bad = (x < low) | (x > high)
    while bad.any():
        x[bad] = rng.normal(mean, sd, int(bad.sum()))
        bad = (x < low) | (x > high)
    return x


def device(i):
    """Central values and samplers of device type i, as in the Rust benchmark."""
    base = 1e7 * (1 + i % 10)
    share = 0.5 + 0.008 * i
    size = 1e9 * (1 + i % 3)
    return [
        (base, lambda rng, n: truncated_normal(rng, base, 0.1 * base, 0.0, np.inf, n)),
        (share, lambda rng, n: truncated_normal(rng, share, 0.1, 0.0, 1.0, n)),
        (size, lambda rng, n: rng.triangular(0.5 * size, size, 2.0 * size, n)),
        (5e8, lambda rng, n: truncated_normal(rng, 5e8, 2e8, 0.0, np.inf, n)),
    ]


PARAMETERS = [p for i in range(DEVICE_TYPES) for p in device(i)]


def model(x):
    """x: (200, n) parameter draws -> (1 + GROUPS, n) outputs."""
    produced = x[0::4] * x[1::4] * (x[2::4] + x[3::4])
    y = np.empty((1 + GROUPS,) + produced.shape[1:])
    y[0] = produced.sum(axis=0)
    for g in range(GROUPS):
        y[1 + g] = produced[g::GROUPS].sum(axis=0)
    return y


def simulate(draws, seed):
    rng = np.random.default_rng(seed)
    x = np.empty((len(PARAMETERS), draws))
    for i, (_, sample) in enumerate(PARAMETERS):
        x[i] = sample(rng, draws)
    central = model(np.array([[c] for c, _ in PARAMETERS]))[:, 0]
    y = model(x)
    mean = y.mean(axis=1)
    sd = y.std(axis=1, ddof=1)
    p5, p50, p95 = np.percentile(y, [5, 50, 95], axis=1)
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - mean[:, None]
    r = (yc @ xc.T) / np.sqrt(np.outer((yc**2).sum(axis=1), (xc**2).sum(axis=1)))
    r2 = r**2
    shares = r2 / r2.sum(axis=1, keepdims=True)
    ranking = np.argsort(-shares, axis=1, kind="stable")
    return central, mean, sd, p5, p50, p95, shares, ranking


def main():
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        result = simulate(DRAWS, SEED)
        best = min(best, time.perf_counter() - start)
    central, mean, sd, p5, p50, p95, shares, ranking = result
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"numpy monte_carlo: {DRAWS} draws x {len(PARAMETERS)} parameters x {1 + GROUPS} outputs: "
        f"best of {RUNS} {best:.3f} s, peak memory {peak_mib:.1f} MiB (numpy {np.__version__})"
    )
    top = ranking[0, 0]
    print(
        f"numpy total: central {central[0]:.4e} mean {mean[0]:.4e} sd {sd[0]:.4e} "
        f"p5 {p5[0]:.4e} p50 {p50[0]:.4e} p95 {p95[0]:.4e}; "
        f"top driver d{top // 4}/{['installed_base', 'active_share', 'created_bytes', 'captured_bytes'][top % 4]} "
        f"({shares[0, top]:.3f})"
    )


if __name__ == "__main__":
    main()
