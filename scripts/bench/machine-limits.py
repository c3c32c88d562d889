#!/usr/bin/env python3
"""The machine's own limits, for the physical-limit estimate of the stats job (docs/benchmarks.md).

Usage: python3 scripts/bench/machine-limits.py   (numpy; best of 5 runs each, one thread)

- read bandwidth from memory: summing a 1 GiB array of doubles (far larger than any cache);
- read bandwidth from the last-level cache: summing a 16 MiB array (the size of the stats job's
  working set: 21 value columns and the weights of 100,000 rows) 20 times over;
- multiply-add rate on cache-resident data: a dot product of two 8 MiB vectors (BLAS, vectorised).
numpy's reductions run on one thread, so each figure is one core's.
"""

import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def best(f, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    big = np.ones(1 << 27)  # 1 GiB
    t = best(big.sum)
    print(f"memory read:      {big.nbytes / t / 1e9:6.1f} GB/s (1 GiB sum, {t * 1e3:.0f} ms)")
    cached = np.ones(1 << 21)  # 16 MiB
    repeats = 20
    t = best(lambda: [cached.sum() for _ in range(repeats)])
    print(f"cache read:       {cached.nbytes * repeats / t / 1e9:6.1f} GB/s (16 MiB sum x {repeats})")
    x, y = np.ones(1 << 20), np.ones(1 << 20)  # 8 MiB each
    t = best(lambda: [x.dot(y) for _ in range(repeats)])
    print(f"multiply-add:     {2 * x.size * repeats / t / 1e9:6.1f} GFLOP/s (dot of 8 MiB vectors, cache-resident)")
    print(f"load average:     {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
