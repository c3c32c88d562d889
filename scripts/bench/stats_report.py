#!/usr/bin/env python3
"""Prints the comparison table of scripts/bench/stats.sh from the JSON files in JOB_DIR:
job.json (ndrs-stats, written by the Rust bench), svy.json and samplics.json.

Usage: stats_report.py JOB_DIR
"""

from __future__ import annotations

import json
import os
import sys


def load(job_dir: str, name: str) -> dict | None:
    path = os.path.join(job_dir, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def mib(kib) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f}"


def sci(x) -> str:
    return "n/a" if x is None else f"{x:.1e}"


def main() -> None:
    job_dir = sys.argv[1]
    job = load(job_dir, "job.json")
    nd = job["ndrs"]
    rows = [
        dict(
            name="ndrs-stats",
            seconds=nd["seconds"],
            time_note=f"best of {nd['runs']}",
            replicates=job["replicates"],
            peak=nd["peak_rss_kib"],
            job_peak=nd["job_peak_rss_kib"],
            before=nd["rss_before_kib"],
            cmp=None,
        )
    ]
    for name in ("svy", "samplics"):
        r = load(job_dir, f"{name}.json")
        if r is None:
            rows.append(dict(name=name, missing=True))
            continue
        scaled = r["replicates"] != job["replicates"]
        rows.append(
            dict(
                name=f"{name} {r['version']}",
                seconds=r["scaled_seconds"],
                time_note=(
                    f"{r['seconds']:.1f} s for {r['replicates']} reps x {job['replicates']}/"
                    f"{r['replicates']}"
                    if scaled
                    else f"best of {r['runs']}"
                ),
                replicates=r["replicates"],
                peak=r["peak_rss_kib"],
                job_peak=r["job_peak_rss_kib"],
                before=r["rss_before_kib"],
                cmp=r["comparison"],
            )
        )
    base = rows[0]["seconds"]
    base_peak = rows[0]["job_peak"]
    print()
    print(
        f"Job: {job['indicators']} indicators x {job['domains']} domains = "
        f"{job['indicators'] * job['domains']} estimates, {job['n']:,} respondents, "
        f"{job['strata']} strata x {job['psus_per_stratum']} PSUs, {job['replicates']} Rao-Wu "
        f"bootstrap replicates, raking to 2 margins (tol {job['rake']['tolerance']:g}) "
        "re-applied to every replicate."
    )
    print(
        "Timed: weighting (raking of the full sample and of every replicate) + estimation; "
        "not data generation, file loading or building the package's sample object."
    )
    print()
    head = (
        f"{'implementation':<16} {'reps':>4} {'wall s':>9} {'x ndrs':>7} "
        f"{'RSS before':>10} {'peak timed':>10} {'x ndrs':>6} {'growth':>8} {'peak proc':>9} "
        f"{'max rel diff point':>18} {'max rel diff SE':>15}  time"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        if r.get("missing"):
            print(f"{r['name']:<16} (no result)")
            continue
        ratio = r["seconds"] / base
        mem_ratio = (
            f"{r['job_peak'] / base_peak:.1f}" if r["job_peak"] is not None and base_peak else ""
        )
        growth = (
            r["job_peak"] - r["before"]
            if r["job_peak"] is not None and r["before"] is not None
            else None
        )
        c = r["cmp"]
        print(
            f"{r['name']:<16} {r['replicates']:>4} {r['seconds']:>9.3f} {ratio:>7.1f} "
            f"{mib(r['before']):>6} MiB {mib(r['job_peak']):>6} MiB {mem_ratio:>6} "
            f"{mib(growth):>4} MiB {mib(r['peak']):>5} MiB "
            f"{'reference' if c is None else sci(c['max_rel_diff_point']):>18} "
            f"{'reference' if c is None else sci(c['max_rel_diff_se']):>15}  {r['time_note']}"
        )
    print(
        "\nRSS before: resident memory when the timed section starts (input loaded); peak timed:"
        " its high-water mark; growth: peak timed - RSS before; peak proc: whole process."
    )
    print()
    for r in rows[1:]:
        if r.get("missing"):
            continue
        print(f"{r['name']}/ndrs-stats wall-time ratio: {r['seconds'] / base:.1f}")


if __name__ == "__main__":
    main()
