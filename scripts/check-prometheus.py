"""Reads a Prometheus scrape on stdin with Prometheus's own Python client and checks that the
families ndrs promises are there with the right types: the RPC duration histogram and the
returns-received counter. Exits non-zero, saying what is wrong, otherwise."""

import sys

from prometheus_client.parser import text_string_to_metric_families

families = {f.name: f for f in text_string_to_metric_families(sys.stdin.read())}
expected = {
    "rpc_server_call_duration_seconds": "histogram",
    "ndrs_returns_received": "counter",
    "ndrs_returns_stored": "counter",
    "ndrs_outbox_backlog": "gauge",
    "ndrs_outbox_lag_seconds": "gauge",
    "ndrs_aggregator_reassembly_duration_seconds": "histogram",
    "db_client_connection_count": "gauge",
}
problems = [
    f"{name}: {'missing' if name not in families else 'type ' + families[name].type}, expected {kind}"
    for name, kind in expected.items()
    if name not in families or families[name].type != kind
]
for p in problems:
    print(p, file=sys.stderr)
print(f"{len(families)} metric families parsed")
sys.exit(1 if problems else 0)
