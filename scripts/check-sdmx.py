#!/usr/bin/env python3
"""Checks an ndrs release's SDMX-ML export with an outside SDMX implementation (sdmx1).

Usage: check-sdmx.py RELEASE.sdmx.xml RELEASE.json

The SDMX file is parsed by sdmx1 (`pip install sdmx1`), not by ndrs, and every observation is
compared with the figure of the same key in the release's JSON document (the authoritative
form): same set of figures, same values, time period = cycle year, unit as published.
Exits non-zero with the differences if anything disagrees.
"""

import json
import re
import sys

import sdmx


def breakdown(dimensions):
    if not dimensions:
        return "_T"
    return "__".join(
        re.sub(r"[^A-Za-z0-9_-]", "_", f"{k}_{v}") for k, v in sorted(dimensions.items())
    )


def main(sdmx_path, json_path):
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    expected = {
        (re.sub(r"[^A-Za-z0-9_-]", "_", fig["id"]), breakdown(fig["dimensions"])): fig
        for fig in doc["figures"]
    }
    message = sdmx.read_sdmx(sdmx_path)
    if len(message.data) != 1:
        return [f"expected one data set, found {len(message.data)}"]
    problems = []
    seen = set()
    for obs in message.data[0].obs:
        key = obs.key.values
        k = (key["INDICATOR"].value, key["BREAKDOWN"].value)
        if k in seen:
            problems.append(f"duplicate observation {k}")
        seen.add(k)
        fig = expected.get(k)
        if fig is None:
            problems.append(f"observation {k} is not a figure of the release")
            continue
        if str(key["TIME_PERIOD"].value) != str(doc["cycle_year"]):
            problems.append(f"{k}: time period {key['TIME_PERIOD'].value}")
        value = float(obs.value)
        if fig["value"] is None:
            # Suppressed by disclosure control: no value, flagged confidential.
            conf = obs.attrib.get("CONF_STATUS")
            if value == value or conf is None or conf.value != "C":
                problems.append(f"{k}: suppressed in JSON but SDMX has {value}, {conf}")
        elif abs(value - fig["value"]) > 1e-12 * max(1.0, abs(fig["value"])):
            problems.append(f"{k}: SDMX {value} vs JSON {fig['value']}")
        unit = obs.attrib.get("UNIT_MEASURE")
        if unit is None or unit.value != fig["unit"].upper():
            problems.append(f"{k}: unit {unit} vs {fig['unit']}")
    missing = set(expected) - seen
    if missing:
        problems.append(f"figures missing from SDMX: {sorted(missing)[:5]}")
    print(f"sdmx1 {sdmx.__version__}: {len(seen)} observations checked against {len(expected)} figures")
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    found = main(sys.argv[1], sys.argv[2])
    for p in found:
        print("mismatch:", p, file=sys.stderr)
    sys.exit(1 if found else 0)
