#!/usr/bin/env python3
"""Recomputes a published figure with svy from ndrs's weight export (ExportWeights).

The export is CSV: one row per sampled unit with its stratum, PSU, final weight (non-respondents
0), the values the indicator reads (`<id>.domain`, `<id>.y`) and the replicate weights
`replicate_1..replicate_R` of the design's bootstrap. svy estimates the share of `<id>.y` among
the units of `<id>.domain` with replicate variance V = (1/R) sum_r (theta_r - theta)^2, centred at
the full-sample estimate (`variance_center="estimate"`), which is what the figure's SE is. The
script fails (exit 1) unless point and SE agree to the given relative tolerance.

Usage: check-weights-export.py EXPORT.csv INDICATOR VALUE SE [--tolerance 1e-12]
Needs svy 0.35 (CI installs it; see .ci/run).
"""

from __future__ import annotations

import argparse
import sys
import warnings

import polars as pl
import svy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export")
    ap.add_argument("indicator")
    ap.add_argument("value", type=float)
    ap.add_argument("se", type=float)
    ap.add_argument("--tolerance", type=float, default=1e-12)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    frame = pl.read_csv(args.export, infer_schema_length=0)
    replicates = [c for c in frame.columns if c.startswith("replicate_")]
    if not replicates:
        print("the export has no replicate weights", file=sys.stderr)
        return 1
    ind = args.indicator
    # Units outside the domain (and non-respondents) carry no value; they keep their weight
    # and their place in the design, scoring 0.
    frame = frame.select(
        pl.col("stratum"),
        pl.col("psu"),
        pl.col("final_weight").cast(pl.Float64).alias("wgt"),
        pl.col(f"{ind}.domain").cast(pl.Int64).alias("domain"),
        pl.col(f"{ind}.y").cast(pl.Float64).fill_null(0.0).alias("y"),
        *[pl.col(c).cast(pl.Float64).alias(f"bw{k + 1}") for k, c in enumerate(replicates)],
    )
    design = svy.Design(
        stratum="stratum",
        psu="psu",
        wgt="wgt",
        rep_wgts=svy.BootstrapWgts(prefix="bw", n_reps=len(replicates)),
    )
    sample = svy.Sample(frame, design)
    table = sample.estimation.prop(
        "y", by="domain", method="replication", variance_center="estimate"
    ).to_polars()
    row = table.filter((pl.col("domain") == 1) & (pl.col("y") == 1.0))
    if row.height != 1:
        print(f"svy gave no share of y = 1 in the domain:\n{table}", file=sys.stderr)
        return 1
    point, se = float(row["est"][0]), float(row["se"][0])

    def rel(a: float, b: float) -> float:
        return 0.0 if a == b else abs(a - b) / max(abs(b), sys.float_info.min)

    ok = rel(point, args.value) <= args.tolerance and rel(se, args.se) <= args.tolerance
    print(
        f"svy {svy.__version__}: {ind} = {point!r} (SE {se!r}) over {len(replicates)} replicates; "
        f"ndrs {args.value!r} (SE {args.se!r}); relative differences "
        f"{rel(point, args.value):.1e} and {rel(se, args.se):.1e}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
