"""Outside-oracle fixtures for crates/ndrs-stats (survey estimation), computed with samplics.

Re-run (from the repository root):

    python3 -m venv /work/venv-oracle
    /work/venv-oracle/bin/pip install -r scripts/oracle/requirements.txt
    /work/venv-oracle/bin/python scripts/oracle/make_fixtures.py

It writes, under crates/ndrs-stats/tests/fixtures/:
  data.csv          synthetic stratified two-stage-like sample (seeded numpy), one row per unit
  lonely.csv        a small sample with one stratum holding a single PSU (lonely PSU)
  weights.csv       weights after non-response adjustment and after raking (samplics SampleWeight)
  jk_design.csv     samplics JKn replicate weights built from the design weights
  expected.json     reference estimates (samplics TaylorEstimator / ReplicateEstimator) and
                    scipy quantiles used by the interval code

Everything is deterministic: same script, same package versions, same bytes.
Only samplics (and scipy for distribution quantiles) computes expected values; numpy is used to
generate the data and, for the ratio of two domain means (which samplics has no estimator for),
to apply the JKn formula sum_r c_r (theta_r - theta)^2 to samplics' own replicate weights.
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

import samplics  # noqa: E402
from samplics import PopParam, ReplicateEstimator, ReplicateWeight, RepMethod, SampleWeight  # noqa: E402
from samplics import SinglePSUEst, TaylorEstimator  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "ndrs-stats", "tests", "fixtures")

SEED = 20240603
STRATA = ["A", "B", "C", "D", "E", "F"]
PSUS_PER_STRATUM = [3, 4, 5, 6, 4, 8]
POP_MULT = [5, 10, 3, 20, 8, 6]  # population PSUs N_h = n_h * mult (for the FPC cases)
BASE_WEIGHT = [40.0, 25.0, 60.0, 12.0, 33.0, 18.0]
SUBJECTS = ["platform", "key_industry", "soe", "other"]
REGIONS = ["east", "central", "west"]
SIZES = ["small", "medium", "large"]
NR_CLASSES = ["c1", "c2", "c3", "c4"]

RAKE_TOL = 1e-13
RAKE_MAX_ITER = 5000


def make_data(rng: np.random.Generator, strata, psus_per, base_weight, prefix="") -> pd.DataFrame:
    rows = []
    for h, (s, n_h) in enumerate(zip(strata, psus_per)):
        for j in range(n_h):
            psu = f"{prefix}{s}{j + 1:02d}"
            m = int(rng.integers(6, 16))
            psu_effect = rng.normal(0.0, 0.4)
            for _ in range(m):
                subject = SUBJECTS[int(rng.choice(4, p=[0.2, 0.3, 0.15, 0.35]))]
                region = REGIONS[int(rng.choice(3, p=[0.45, 0.35, 0.2]))]
                size = SIZES[int(rng.choice(3, p=[0.5, 0.35, 0.15]))]
                nr_class = NR_CLASSES[int(rng.integers(0, 4))]
                w = base_weight[h] * float(rng.uniform(0.6, 1.6))
                respondent = int(rng.uniform() < 0.85)
                p_applied = {"platform": 0.9, "key_industry": 0.75, "soe": 0.6, "other": 0.4}[subject]
                applied = int(rng.uniform() < p_applied)
                revenue = float(np.exp(rng.normal(3.0 + 0.3 * SIZES.index(size), 0.5)))
                level = {"platform": 2.0, "key_industry": 1.2, "soe": 1.0, "other": 0.6}[subject]
                interaction = float(
                    np.exp(rng.normal(level + psu_effect, 0.6)) + 0.05 * revenue
                )
                rows.append(
                    dict(
                        stratum=s,
                        psu=psu,
                        weight=round(w, 6),
                        respondent=respondent,
                        nr_class=nr_class,
                        region=region,
                        size=size,
                        subject=subject,
                        applied=applied,
                        interaction=round(interaction, 6),
                        revenue=round(revenue, 6),
                    )
                )
    df = pd.DataFrame(rows)
    df = df.sort_values(["stratum", "psu"], kind="stable").reset_index(drop=True)
    return df


def nr_adjust(w: np.ndarray, df: pd.DataFrame) -> np.ndarray:
    resp = np.where(df["respondent"].to_numpy() == 1, "rr", "nr")
    return SampleWeight().adjust(
        samp_weight=w, adj_class=df["nr_class"].to_numpy(), resp_status=resp
    )


def rake(w: np.ndarray, df: pd.DataFrame, targets: dict) -> np.ndarray:
    margins = {"region": df["region"].to_numpy(), "size": df["size"].to_numpy()}
    out = SampleWeight().rake(
        samp_weight=w,
        margins=margins,
        control=targets,
        tol=RAKE_TOL,
        ctrl_tol=RAKE_TOL,
        max_iter=RAKE_MAX_ITER,
    )
    # samplics does not report convergence: check it here so a fixture never encodes a
    # non-converged raking.
    for var, tgt in targets.items():
        for cat, t in tgt.items():
            s = float(np.sum(out[df[var].to_numpy() == cat]))
            assert abs(s - t) / t < 1e-11, (var, cat, s, t)
    return np.asarray(out, dtype=float)


def weighting_nr_rake(w, df, targets):
    return rake(nr_adjust(w, df), df, targets)


def jk_replicates(df: pd.DataFrame, w: np.ndarray):
    rw = ReplicateWeight(method=RepMethod.jackknife, strat=True)
    rep = rw.replicate(samp_weight=w, psu=df["psu"].to_numpy(), stratum=df["stratum"].to_numpy())
    # samplics sorts by stratum internally; the data are pre-sorted so rows keep their order.
    assert list(rep["_psu"]) == list(df["psu"]), "samplics reordered rows"
    cols = [c for c in rep.columns if c.startswith("_jk_wgt_")]
    mat = rep[cols].to_numpy(dtype=float)
    # Identify the deleted PSU of each replicate (the one whose weights are all zero).
    deleted = []
    for r in range(mat.shape[1]):
        zero_psus = sorted(set(df["psu"][mat[:, r] == 0.0]))
        assert len(zero_psus) == 1, zero_psus
        deleted.append(zero_psus[0])
    return rw, mat, deleted, np.asarray(rw.rep_coefs, dtype=float)


def samplics_fpc(df: pd.DataFrame) -> dict:
    out = {}
    for h, s in enumerate(STRATA):
        n_h = PSUS_PER_STRATUM[h]
        out[s] = 1.0 - n_h / (n_h * POP_MULT[h])
    return out


def estimator_specs(df):
    """(estimator, samplics parameter, y name, x name, y, x) of the four estimators that every
    weighting and variance method is checked with."""
    y_int = df["interaction"].to_numpy()
    y_app = df["applied"].to_numpy()
    x_rev = df["revenue"].to_numpy()
    return [
        ("total", PopParam.total, "interaction", None, y_int, None),
        ("mean", PopParam.mean, "interaction", None, y_int, None),
        ("proportion", PopParam.prop, "applied", None, y_app, None),
        ("ratio", PopParam.ratio, "interaction", "revenue", y_int, x_rev),
    ]


def figures(est, param, domain, attrs):
    """samplics' result attributes `attrs` of `est` for `domain` (None: the whole sample) as
    floats; for a proportion samplics keys them by category, and the figure is the share of 1."""
    out = []
    for attr in attrs:
        v = getattr(est, attr)
        if domain is not None:
            v = v[domain]
        if param == PopParam.prop:
            v = v[1]
        out.append(float(v))
    return out


def estimate_cases(df, new_estimator, kwargs, case, with_ci=False):
    """Runs each of estimator_specs over the whole sample and by subject with the samplics
    estimator `new_estimator(param)` and the estimate() arguments `kwargs`, and returns one case
    per figure, carrying `case` (weighting, variance). With `with_ci`, the whole-sample cases also
    carry samplics' confidence interval and degrees of freedom.

    Taylor and replicate estimates are read back the same way, so one function serves both."""
    cases = []
    subj = df["subject"].to_numpy()
    for est, param, yname, xname, y, x in estimator_specs(df):
        for dom in [None, subj]:
            e = new_estimator(param)
            kw = dict(y=y, **kwargs)
            if x is not None:
                kw["x"] = x
            if dom is not None:
                kw["domain"] = dom
            e.estimate(**kw)
            for d in [None] if dom is None else SUBJECTS:
                point, se = figures(e, param, d, ("point_est", "stderror"))
                c = dict(case, estimator=est, y=yname, x=xname, domain=d, point=point, se=se)
                if with_ci and d is None:
                    c["ci_lower"], c["ci_upper"] = figures(e, param, d, ("lower_ci", "upper_ci"))
                    c["df"] = int(e.degree_of_freedom)
                cases.append(c)
    return cases


def taylor_cases(df, w, weighting, fpc=None, variance="taylor"):
    kwargs = dict(samp_weight=w, stratum=df["stratum"].to_numpy(), psu=df["psu"].to_numpy())
    if fpc is not None:
        kwargs["fpc"] = fpc
    return estimate_cases(
        df, TaylorEstimator, kwargs, dict(weighting=weighting, variance=variance), with_ci=True
    )


def jk_cases(df, w_full, rep_w, rw, weighting):
    y_int = df["interaction"].to_numpy()
    subj = df["subject"].to_numpy()

    def jkn(param):
        return ReplicateEstimator(method=RepMethod.jackknife, param=param, rep_weight_cls=rw)

    # rep_coefs must be passed explicitly: without it samplics' ReplicateEstimator falls back to
    # the JK1 coefficient (R-1)/R for every replicate instead of the JKn per-stratum (n_h-1)/n_h
    # that ReplicateWeight computed.
    kwargs = dict(samp_weight=w_full, rep_weights=rep_w, conservative=True,
                  rep_coefs=np.asarray(rw.rep_coefs, dtype=float))
    cases = estimate_cases(df, jkn, kwargs, dict(weighting=weighting, variance="jkn"))
    # Ratio of two domain means (platform / key_industry): samplics has no estimator for it, so
    # the JKn formula is applied in numpy to samplics' replicate weights; the point estimate is
    # the ratio of samplics' domain means.
    t = TaylorEstimator(PopParam.mean)
    t.estimate(y=y_int, samp_weight=w_full, domain=subj, stratum=df["stratum"].to_numpy(),
               psu=df["psu"].to_numpy())
    point = t.point_est["platform"] / t.point_est["key_industry"]
    a = (subj == "platform").astype(float)
    b = (subj == "key_industry").astype(float)

    def dmr(wv):
        return (np.sum(wv * y_int * a) / np.sum(wv * a)) / (np.sum(wv * y_int * b) / np.sum(wv * b))

    theta = dmr(w_full)
    reps = np.array([dmr(rep_w[:, k]) for k in range(rep_w.shape[1])])
    var = float(np.sum(np.asarray(rw.rep_coefs) * (reps - theta) ** 2))
    cases.append(
        dict(weighting=weighting, variance="jkn", estimator="domain_mean_ratio", y="interaction",
             x=None, domain=None, numerator="platform", denominator="key_industry",
             point=float(point), se=float(np.sqrt(var)))
    )
    return cases


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    df = make_data(rng, STRATA, PSUS_PER_STRATUM, BASE_WEIGHT)
    w = df["weight"].to_numpy(dtype=float)

    # Raking targets: the non-response-adjusted weight totals, perturbed, with a common total.
    w_nr = nr_adjust(w, df)
    total = float(np.sum(w_nr)) * 1.03
    reg_share = np.array([np.sum(w_nr[df["region"] == r]) for r in REGIONS])
    reg_share = reg_share * np.array([1.06, 0.97, 0.95])
    reg_share = reg_share / reg_share.sum()
    size_share = np.array([np.sum(w_nr[df["size"] == s]) for s in SIZES])
    size_share = size_share * np.array([0.96, 1.02, 1.08])
    size_share = size_share / size_share.sum()
    targets = {
        "region": {r: round(float(total * reg_share[k]), 3) for k, r in enumerate(REGIONS)},
        "size": {s: 0.0 for s in SIZES},
    }
    region_total = sum(targets["region"].values())
    sizes = [round(float(region_total * size_share[k]), 3) for k in range(2)]
    sizes.append(round(region_total - sum(sizes), 3))
    targets["size"] = dict(zip(SIZES, sizes))

    w_final = weighting_nr_rake(w, df, targets)

    cases = []
    # 1. design weights, Taylor linearisation (with-replacement PSUs).
    cases += taylor_cases(df, w, "design")
    # 2. design weights, Taylor with finite population correction per stratum.
    cases += taylor_cases(df, w, "design", fpc=samplics_fpc(df), variance="taylor_fpc")
    # 3. design weights, JKn replicate weights.
    rw, rep_design, deleted, coefs = jk_replicates(df, w)
    cases += jk_cases(df, w, rep_design, rw, "design")
    # 4. non-response adjustment + raking, Taylor on the final weights (weights taken as fixed).
    cases += taylor_cases(df, w_final, "nr_rake")
    # 5. non-response adjustment + raking re-applied to every JKn replicate.
    rep_final = np.column_stack(
        [weighting_nr_rake(rep_design[:, k], df, targets) for k in range(rep_design.shape[1])]
    )
    cases += jk_cases(df, w_final, rep_final, rw, "nr_rake")

    # 6. lonely PSU: one stratum with a single PSU, samplics single_psu="skip" (that stratum
    #    contributes no variance), which is what LonelyPsu::Certainty / ::Remove do.
    lonely = make_data(np.random.default_rng(SEED + 1), ["A", "B", "L"], [3, 4, 1], [20.0, 30.0, 50.0], prefix="q")
    lonely_cases = []
    for est, param in [("total", PopParam.total), ("mean", PopParam.mean)]:
        t = TaylorEstimator(param)
        t.estimate(y=lonely["interaction"].to_numpy(), samp_weight=lonely["weight"].to_numpy(),
                   stratum=lonely["stratum"].to_numpy(), psu=lonely["psu"].to_numpy(),
                   single_psu=SinglePSUEst.skip)
        lonely_cases.append(dict(weighting="design", variance="taylor", estimator=est,
                                 y="interaction", x=None, domain=None,
                                 point=float(t.point_est), se=float(t.stderror)))

    # 7. distribution quantiles from scipy, for the t and Korn-Graubard intervals.
    t_q = [dict(p=p, df=d, q=float(stats.t.ppf(p, d)))
           for p in [0.975, 0.95, 0.995, 0.025] for d in [1, 2, 3, 5, 10, 29, 30, 100, 1000]]
    beta_q = [dict(p=p, a=a, b=b, q=float(stats.beta.ppf(p, a, b)))
              for p in [0.025, 0.975, 0.5]
              for (a, b) in [(0.5, 0.5), (1.0, 30.0), (2.5, 40.0), (30.0, 1.0), (12.3, 7.7), (200.0, 3.0)]]

    df.to_csv(os.path.join(OUT, "data.csv"), index=False, float_format="%.17g")
    lonely.to_csv(os.path.join(OUT, "lonely.csv"), index=False, float_format="%.17g")
    pd.DataFrame({"w_nr": w_nr, "w_nr_rake": w_final}).to_csv(
        os.path.join(OUT, "weights.csv"), index=False, float_format="%.17g"
    )
    jk = pd.DataFrame(rep_design, columns=deleted)
    jk.to_csv(os.path.join(OUT, "jk_design.csv"), index=False, float_format="%.17g")

    expected = dict(
        generator="scripts/oracle/make_fixtures.py",
        seed=SEED,
        versions=dict(samplics=samplics.__version__ if hasattr(samplics, "__version__") else "0.6.1",
                      numpy=np.__version__, pandas=pd.__version__, scipy=scipy.__version__,
                      python=sys.version.split()[0]),
        population_psus={s: PSUS_PER_STRATUM[h] * POP_MULT[h] for h, s in enumerate(STRATA)},
        rake=dict(targets=targets, tolerance=RAKE_TOL, max_iterations=RAKE_MAX_ITER),
        jk_coefficients=dict(zip(deleted, [float(c) for c in coefs])),
        cases=cases,
        lonely_cases=lonely_cases,
        t_quantiles=t_q,
        beta_quantiles=beta_q,
    )
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases, {len(df)} units, {rep_design.shape[1]} JK replicates to {OUT}")


if __name__ == "__main__":
    main()
