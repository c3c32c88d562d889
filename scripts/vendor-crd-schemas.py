#!/usr/bin/env python3
"""Extracts the validation schemas of custom resources from their CRDs, for check-deploy.sh.

Usage: vendor-crd-schemas.py OUT_DIR CRD.yaml...

For each CRD, writes OUT_DIR/<group>/<version>/<kind>.json: the `openAPIV3Schema` of its storage
version (the one manifests should use), without the descriptions (they are most of a CRD's size and do not validate anything).
The Gateway API schemas under deploy/k8s/schemas came from the standard-channel CRDs of
kubernetes-sigs/gateway-api v1.6.1 (config/crd/standard/gateway.networking.k8s.io_{gateways,
grpcroutes,httproutes}.yaml, Apache-2.0) and the PodMonitor schema from prometheus-operator v0.93.0
(example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml, Apache-2.0); re-run this
on a newer release's files to move on.
"""

import json
import os
import sys

import yaml


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(out_dir, paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            crd = yaml.safe_load(f)
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        bundle = crd["metadata"].get("annotations", {}).get("gateway.networking.k8s.io/bundle-version", "")
        for version in crd["spec"]["versions"]:
            if not version.get("storage"):
                continue
            schema = strip(version["schema"]["openAPIV3Schema"])
            schema["x-ndrs-source"] = f"{os.path.basename(path)} {bundle}".strip()
            target = os.path.join(out_dir, group, version["name"])
            os.makedirs(target, exist_ok=True)
            with open(os.path.join(target, f"{kind}.json"), "w", encoding="utf-8") as f:
                json.dump(schema, f, separators=(",", ":"), sort_keys=True)
                f.write("\n")
            print(f"{group}/{version['name']} {kind}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
