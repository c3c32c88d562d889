#!/usr/bin/env python3
"""Reads ndrs's SDMX 2.1 REST API with two outside SDMX implementations, sdmx1 and pysdmx.

Usage: check-sdmx-rest.py BASE_URL RELEASE_JSON_URL

BASE_URL is the API's root (http://host:port/sdmx); RELEASE_JSON_URL a published version's JSON
document (the authoritative form) that the API must agree with.

- sdmx1 reads the API as a custom source: the dataflow with its references (the DSD, its code
  lists and concepts), then the data with that DSD; every code the data uses is in its
  dimension's code list, and every observation of the release's cycle equals the figure of the
  JSON document with the same indicator and breakdown.
- pysdmx fetches the data and the structure, binds them (`get_datasets`: the data set's structure
  is the DSD's schema, not just a reference) and writes SDMX-CSV 1.0 from them, which must hold
  the same observations as the API's own SDMX-CSV answer; it also converts the release's stored
  SDMX-ML download (generic data) with the same DSD: one observation per figure of the JSON
  document, with its value.
Exits non-zero with the differences if anything disagrees.
"""

import csv
import io
import json
import math
import re
import sys
import urllib.request

import sdmx
from pysdmx.io import get_datasets, write_sdmx
from pysdmx.io.format import Format
from pysdmx.model.dataflow import Schema


def fetch(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def code_of(text):
    """SDMX ids allow no dots: check.compute.x is coded check_compute_x."""
    return re.sub(r"[^A-Za-z0-9_@$-]", "_", text) or "_"


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def main(base, release_url):
    problems = []
    doc = json.loads(fetch(release_url))
    year = str(doc["cycle_year"])

    # --- sdmx1 ---
    sdmx.add_source({"id": "NDRS", "url": base, "name": "National data resource survey"}, override=True)
    client = sdmx.Client("NDRS")
    structure = client.dataflow("DF_NDRS", params={"references": "all"})
    flow = structure.dataflow["DF_NDRS"]
    dsd = structure.structure["DSD_NDRS"]
    if flow.structure.id != "DSD_NDRS":
        problems.append(f"the dataflow refers to {flow.structure.id}, not DSD_NDRS")
    dimensions = [d.id for d in dsd.dimensions]
    for needed in ["FREQ", "INDICATOR", "PROVINCE", "TIME_PERIOD"]:
        if needed not in dimensions:
            problems.append(f"the DSD has no {needed} dimension: {dimensions}")
    coded = {
        d.id: {c.id for c in d.local_representation.enumerated}
        for d in dsd.dimensions
        if d.local_representation is not None and d.local_representation.enumerated is not None
    }
    provinces = structure.codelist["CL_PROVINCE"]
    if len(provinces) < 33 or "11" not in provinces or "zh" not in provinces["11"].name.localizations:
        problems.append("CL_PROVINCE lacks the provinces or their Chinese names")
    # Structure-specific data is read against its DSD.
    message = sdmx.read_sdmx(io.BytesIO(fetch(f"{base}/data/DF_NDRS/all")), structure=dsd)
    observations = 0
    by_key = {}
    for data_set in message.data:
        for key, series in data_set.series.items():
            values = [getattr(v, "id", v) for v in key.get_values()]
            for dim, value in zip([d for d in dimensions if d != "TIME_PERIOD"], values):
                if dim in coded and value not in coded[dim]:
                    problems.append(f"{dim}={value} is not in its code list")
            for obs in series:
                observations += 1
                period = str(getattr(obs.dim.get_values()[0], "value", obs.dim.get_values()[0])) if obs.dim else ""
                by_key[(tuple(values), period)] = obs.value
    if observations == 0:
        problems.append("sdmx1 read no observation")
    indicator = dimensions.index("INDICATOR")
    breakdowns = {d: i for i, d in enumerate(dimensions) if d not in ("FREQ", "INDICATOR", "TIME_PERIOD")}
    checked = 0
    for figure in doc["figures"]:
        if figure["value"] is None:
            continue
        code = code_of(figure["id"])
        matches = [
            v
            for (key, period), v in by_key.items()
            if period == year
            and key[indicator] == code
            and all(
                key[i] == figure["dimensions"].get(d.lower(), "_T") for d, i in breakdowns.items()
            )
        ]
        if len(matches) != 1:
            problems.append(f"{figure['key']}: {len(matches)} observations in the API")
        elif not close(float(matches[0]), figure["value"]):
            problems.append(f"{figure['key']}: API {matches[0]}, release {figure['value']}")
        checked += 1

    # --- pysdmx ---
    data_sets = get_datasets(f"{base}/data/DF_NDRS/all", f"{base}/dataflow/NDRS/DF_NDRS/latest?references=all")
    if not data_sets or not isinstance(data_sets[0].structure, Schema):
        problems.append("pysdmx did not bind the data to the DSD's schema")
    converted = write_sdmx(data_sets, Format.DATA_SDMX_CSV_1_0_0)
    rows = list(csv.DictReader(io.StringIO(converted)))
    served = list(csv.DictReader(io.StringIO(fetch(f"{base}/data/DF_NDRS/all", "application/vnd.sdmx.data+csv;version=1.0.0").decode())))
    dims = [d for d in dimensions if d != "TIME_PERIOD"]

    def keyed(table):
        out = {}
        for r in table:
            value = r["OBS_VALUE"]
            out[(tuple(r[d] for d in dims), r["TIME_PERIOD"])] = float(value) if value not in ("", "NaN") else None
        return out

    converted_obs, served_obs = keyed(rows), keyed(served)
    if set(converted_obs) != set(served_obs):
        problems.append(
            f"pysdmx's SDMX-CSV has {len(converted_obs)} observations, the API's {len(served_obs)}"
        )
    for k, v in served_obs.items():
        c = converted_obs.get(k)
        if (v is None) != (c is None) or (v is not None and not close(v, c)):
            problems.append(f"{k}: pysdmx {c}, API {v}")
    # The release's own SDMX-ML download (generic data, stored at publication) converts with the
    # same DSD to the same observations as the API serves for that cycle.
    download = release_url.rsplit("/", 1)[0] + "/release.xml"
    stored = get_datasets(download, f"{base}/dataflow/NDRS/DF_NDRS/latest?references=all")
    if not stored or not isinstance(stored[0].structure, Schema):
        problems.append("pysdmx did not bind the stored export to the DSD's schema")
    stored_obs = keyed(list(csv.DictReader(io.StringIO(write_sdmx(stored, Format.DATA_SDMX_CSV_1_0_0)))))
    if len(stored_obs) != len(doc["figures"]):
        problems.append(f"the stored export has {len(stored_obs)} observations for {len(doc['figures'])} figures")
    for figure in doc["figures"]:
        key = tuple(
            "A" if d == "FREQ" else code_of(figure["id"]) if d == "INDICATOR"
            else code_of(figure["dimensions"].get(d.lower(), "_T"))
            for d in dims
        )
        if (key, year) not in stored_obs:
            problems.append(f"{figure['key']}: not in the stored export")
            continue
        v = stored_obs[(key, year)]
        if (v is None) != (figure["value"] is None) or (v is not None and not close(v, figure["value"])):
            problems.append(f"{figure['key']}: stored export {v}, release {figure['value']}")
    if problems:
        print("\n".join(problems[:50]), file=sys.stderr)
        return 1
    print(
        f"sdmx1 read {observations} observations with DSD_NDRS ({len(dimensions)} dimensions) and "
        f"matched {checked} figures of release {doc['cycle_year']} v{doc['version']}; pysdmx wrote "
        f"{len(rows)} SDMX-CSV rows equal to the API's and converted the stored export "
        f"({len(stored_obs)} observations) with the same DSD"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
