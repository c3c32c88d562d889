#!/usr/bin/env python3
"""Checks an ndrs release's SDMX-ML export with an outside SDMX implementation (sdmx1).

Usage: check-sdmx.py RELEASE.sdmx.xml RELEASE.json

The SDMX file (generic data referring to NDRS:DF_NDRS(1.0), readable without its structure) is
parsed by sdmx1 (`pip install sdmx1`), not by ndrs, and every observation is compared with the
figure of the same key in the release's JSON document (the authoritative form): the key is FREQ,
INDICATOR and one dimension per breakdown variable (`_T` where a figure is not broken down by it);
same set of figures, same values and bounds, time period = cycle year, unit as published,
withheld figures flagged missing and confidential.
Exits non-zero with the differences if anything disagrees.
"""

import json
import re
import sys

import sdmx


def code(text):
    """The SDMX id ndrs gives a figure id or breakdown value: characters SDMX ids do not allow
    become `_` (check.compute.x is coded check_compute_x)."""
    return re.sub(r"[^A-Za-z0-9_@$-]", "_", text) or "_"


# Codes of CL_CONF_STATUS a withheld figure may carry: small counts, dominance, complementary
# (secondary) suppression, confidential.
WITHHELD = {"A", "O", "D", "C"}


def main(sdmx_path, json_path):
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    message = sdmx.read_sdmx(sdmx_path)
    if len(message.data) != 1:
        return [f"expected one data set, found {len(message.data)}"]
    problems = []
    observations = list(message.data[0].obs)
    if not observations:
        return ["no observation"]
    dimensions = [d for d in observations[0].key.values if d != "TIME_PERIOD"]
    for needed in ("FREQ", "INDICATOR"):
        if needed not in dimensions:
            problems.append(f"no {needed} dimension in the series key: {dimensions}")
    if "BREAKDOWN" in dimensions:
        problems.append("breakdowns are packed into one BREAKDOWN code")
    breakdowns = [d for d in dimensions if d not in ("FREQ", "INDICATOR")]

    def key_of(fig):
        k = {"FREQ": "A", "INDICATOR": code(fig["id"])}
        for d in breakdowns:
            value = fig["dimensions"].get(d.lower())
            k[d] = "_T" if value is None else code(value)
        return tuple(k[d] for d in dimensions)

    expected = {key_of(fig): fig for fig in doc["figures"]}
    unknown = {k.lower() for fig in doc["figures"] for k in fig["dimensions"]} - {
        d.lower() for d in breakdowns
    }
    if unknown:
        problems.append(f"breakdown variables without a dimension: {sorted(unknown)}")
    seen = set()
    for obs in observations:
        values = obs.key.values
        k = tuple(str(values[d].value) for d in dimensions)
        if k in seen:
            problems.append(f"duplicate observation {k}")
        seen.add(k)
        fig = expected.get(k)
        if fig is None:
            problems.append(f"observation {k} is not a figure of the release")
            continue
        if str(values["TIME_PERIOD"].value) != str(doc["cycle_year"]):
            problems.append(f"{k}: time period {values['TIME_PERIOD'].value}")
        value = float(obs.value)
        status = obs.attrib.get("OBS_STATUS")
        conf = obs.attrib.get("CONF_STATUS")
        if fig["value"] is None:
            # Withheld by disclosure control: no value, status missing, a confidentiality code.
            if value == value or status is None or status.value != "O" or conf is None or conf.value not in WITHHELD:
                problems.append(f"{k}: withheld in JSON but SDMX has {value}, {status}, {conf}")
        else:
            if abs(value - fig["value"]) > 1e-12 * max(1.0, abs(fig["value"])):
                problems.append(f"{k}: SDMX {value} vs JSON {fig['value']}")
            if conf is None or conf.value != "F":
                problems.append(f"{k}: a published value is not CONF_STATUS F ({conf})")
        unit = obs.attrib.get("UNIT_MEASURE")
        if unit is None or unit.value != fig["unit"].upper():
            problems.append(f"{k}: unit {unit} vs {fig['unit']}")
        interval = fig.get("interval")
        lower = obs.attrib.get("LOWER_BOUND")
        if interval and (lower is None or abs(float(lower.value) - interval["lower"]) > 1e-12 * max(1.0, abs(interval["lower"]))):
            problems.append(f"{k}: lower bound {lower} vs {interval['lower']}")
    missing = set(expected) - seen
    if missing:
        problems.append(f"figures missing from SDMX: {sorted(missing)[:5]}")
    print(
        f"sdmx1 {sdmx.__version__}: {len(seen)} observations in {len(dimensions)} dimensions "
        f"({', '.join(dimensions)}) checked against {len(expected)} figures"
    )
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    found = main(sys.argv[1], sys.argv[2])
    for p in found:
        print("mismatch:", p, file=sys.stderr)
    sys.exit(1 if found else 0)
