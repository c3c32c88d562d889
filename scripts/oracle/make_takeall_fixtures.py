"""Outside-oracle fixtures for take-all strata with non-response, item non-response and the two
degrees-of-freedom conventions (crates/ndrs-stats/tests/takeall.rs), computed with samplics.

Re-run (from the repository root), with the environment of make_fixtures.py:

    /work/venv-oracle/bin/python scripts/oracle/make_takeall_fixtures.py

It writes, under crates/ndrs-stats/tests/fixtures/:
  takeall.csv    a full sample (non-respondents kept, weight 0 after adjustment): two sampled
                 strata of clusters (S1, S2) and three take-all strata of single units
                 (T1 with non-response, T2 responding in full, T3 with a single respondent)
  takeall.json   the non-response-adjusted weights and the reference estimates

The design under test is the full sample with non-response adjustment within stratum and a
finite population correction. A take-all stratum has no sampling variance; what varies is who
responded. Under the response-homogeneity model the respondents of a take-all stratum are a
simple random subsample of its N_h units, so their variance is that of r_h units drawn from N_h:
samplics computes exactly that when given the stratum's respondents with fpc 1 - r_h / N_h.
So every reference SE below comes from samplics:
  - domains wholly inside the take-all strata: samplics on the respondents only, with the
    sampled strata's usual fpc and the take-all strata's 1 - r_h / N_h (units outside the
    domain score 0, so the sampled strata contribute nothing either way);
  - national totals: the variance of a total adds over strata, so it is samplics' full-sample
    variance (the take-all strata contribute 0 there, fpc 0) plus samplics' variance of the
    take-all respondents' total with 1 - r_h / N_h;
  - the design degrees of freedom are samplics' (PSUs minus strata of the full design), and the
    intervals under that convention are point +/- t quantile (scipy) times the reference SE.
Item non-response: `spend` is missing for some respondents (-1 in the CSV with `answered` 0);
the documented handling is to leave those units out of the figure's domain, i.e. the domain is
(domain and answered), which samplics estimates as a domain on the same design.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
import scipy
from scipy import stats

warnings.filterwarnings("ignore")

from samplics import PopParam, SampleWeight, SinglePSUEst, TaylorEstimator  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "ndrs-stats", "tests", "fixtures")
SEED = 20261203

# stratum, kind, PSUs sampled, population PSUs, units per PSU, response probability
STRATA = [
    ("S1", "sampled", 5, 25, (4, 9), 0.85),
    ("S2", "sampled", 6, 60, (3, 7), 0.85),
    ("T1", "take_all", 40, 40, (1, 1), 0.85),
    ("T2", "take_all", 12, 12, (1, 1), 1.0),
    ("T3", "take_all", 3, 3, (1, 1), None),  # exactly one respondent
]


def make_data(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s, kind, n_h, big_n, (m_lo, m_hi), p_resp in STRATA:
        for j in range(n_h):
            psu = f"{s}-{j + 1:02d}"
            m = int(rng.integers(m_lo, m_hi + 1))
            for k in range(m):
                if p_resp is None:
                    respondent = int(j == 0)
                else:
                    respondent = int(rng.uniform() < p_resp)
                subject = "central_soe" if kind == "take_all" else "enterprise"
                weight = big_n / n_h if kind == "sampled" else 1.0
                level = 5.0 if kind == "take_all" else 2.0
                revenue = float(np.exp(rng.normal(level, 0.7)))
                flag = int(rng.uniform() < (0.7 if kind == "take_all" else 0.4))
                answered = int(rng.uniform() < 0.8) if respondent else 0
                spend = float(np.exp(rng.normal(level - 1.0, 0.5))) if answered else -1.0
                rows.append(
                    dict(
                        stratum=s,
                        psu=psu,
                        weight=weight,
                        respondent=respondent,
                        subject=subject,
                        revenue=round(revenue, 6) if respondent else 0.0,
                        flag=flag if respondent else 0,
                        answered=answered,
                        spend=round(spend, 6),
                    )
                )
    return pd.DataFrame(rows)


def take_all_fpc(df: pd.DataFrame) -> dict:
    """samplics' fpc argument (the factor 1 - f) per stratum, for the respondents-only design:
    sampled strata 1 - n_h / N_h, take-all strata 1 - r_h / N_h (r_h responding PSUs)."""
    out = {}
    for s, kind, n_h, big_n, _, _ in STRATA:
        if kind == "sampled":
            out[s] = 1.0 - n_h / big_n
        else:
            r = df[(df.stratum == s) & (df.respondent == 1)]["psu"].nunique()
            out[s] = 1.0 - r / big_n
    return out


def full_sample_fpc() -> dict:
    return {s: 1.0 - n_h / big_n for s, _, n_h, big_n, _, _ in STRATA}


def taylor(param, y, w, df, fpc, domain=None, x=None):
    e = TaylorEstimator(param)
    kw = dict(y=y, samp_weight=w, stratum=df["stratum"].to_numpy(), psu=df["psu"].to_numpy(),
              fpc=fpc, single_psu=SinglePSUEst.skip)
    if x is not None:
        kw["x"] = x
    if domain is not None:
        kw["domain"] = domain
    e.estimate(**kw)
    return e


def value(e, attr, domain_key=None, prop=False):
    v = getattr(e, attr)
    if domain_key is not None:
        v = v[domain_key]
    if prop:
        v = v[1]
    return float(v)


def main() -> None:
    rng = np.random.default_rng(SEED)
    df = make_data(rng)
    w0 = df["weight"].to_numpy(dtype=float)
    resp = np.where(df["respondent"].to_numpy() == 1, "rr", "nr")
    w = np.asarray(
        SampleWeight().adjust(samp_weight=w0, adj_class=df["stratum"].to_numpy(), resp_status=resp),
        dtype=float,
    )
    r = df["respondent"].to_numpy() == 1
    rdf = df[r].reset_index(drop=True)
    rw = w[r]
    fpc_r = take_all_fpc(df)
    # A single responding PSU cannot carry a variance: T3 is left out of the reference's
    # response phase (fpc 0), as ndrs-stats documents.
    fpc_r["T3"] = 0.0

    full = taylor(PopParam.total, df["revenue"].to_numpy(), w, df, full_sample_fpc())
    design_df = int(full.degree_of_freedom)

    def interval(point, se, dof, level=0.95):
        t = float(stats.t.ppf(0.5 + level / 2.0, dof))
        return point - t * se, point + t * se

    cases = []
    soe = (rdf["subject"] == "central_soe").to_numpy()
    t2 = (rdf["stratum"] == "T2").to_numpy()
    answered = rdf["answered"].to_numpy() == 1
    domains = {
        "central_soe": np.where(soe, "in", "out"),
        "T2": np.where(t2, "in", "out"),
        "central_soe_answered": np.where(soe & answered, "in", "out"),
    }
    specs = [
        ("total", PopParam.total, "revenue", "central_soe"),
        ("mean", PopParam.mean, "revenue", "central_soe"),
        ("proportion", PopParam.prop, "flag", "central_soe"),
        ("total", PopParam.total, "revenue", "T2"),
        ("mean", PopParam.mean, "revenue", "T2"),
        ("mean", PopParam.mean, "spend", "central_soe_answered"),
    ]
    for est, param, y, dom in specs:
        yv = rdf[y].to_numpy(dtype=float)
        if y == "spend":
            yv = np.where(answered, yv, 0.0)
        e = taylor(param, yv, rw, rdf, fpc_r, domain=domains[dom])
        prop = param == PopParam.prop
        point = value(e, "point_est", "in", prop)
        se = value(e, "stderror", "in", prop)
        c = dict(estimator=est, y=y, domain=dom, point=point, se=se, design_df=design_df)
        if param != PopParam.prop:
            c["design_ci_lower"], c["design_ci_upper"] = interval(point, se, design_df)
        cases.append(c)

    # National total: the sampled strata's full-sample variance plus the take-all respondents'.
    ta = (rdf["stratum"].str.startswith("T")).to_numpy()
    ta_total = taylor(PopParam.total, rdf["revenue"].to_numpy()[ta], rw[ta],
                      rdf[ta].reset_index(drop=True), {k: v for k, v in fpc_r.items() if k.startswith("T")})
    var = float(full.stderror) ** 2 + float(ta_total.stderror) ** 2
    point = float(full.point_est)
    se = float(np.sqrt(var))
    lo, hi = interval(point, se, design_df)
    cases.append(dict(estimator="total", y="revenue", domain=None, point=point, se=se,
                      sampling_se=float(full.stderror), design_df=design_df,
                      design_ci_lower=lo, design_ci_upper=hi))

    df.to_csv(os.path.join(OUT, "takeall.csv"), index=False, float_format="%.17g")
    expected = dict(
        generator="scripts/oracle/make_takeall_fixtures.py",
        seed=SEED,
        versions=dict(numpy=np.__version__, pandas=pd.__version__, scipy=scipy.__version__,
                      python=sys.version.split()[0]),
        population_psus={s: big_n for s, _, _, big_n, _, _ in STRATA},
        take_all=[s for s, kind, *_ in STRATA if kind == "take_all"],
        adjusted_weights=[float(x) for x in w],
        cases=cases,
    )
    with open(os.path.join(OUT, "takeall.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases, {len(df)} units, design df {design_df} to {OUT}")


if __name__ == "__main__":
    main()
