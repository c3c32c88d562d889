"""Outside-client check: what Python's standard gRPC tooling sees of each ndrs port.

Usage: check-grpc-clients.py ADDRESS=SERVICE[,SERVICE...] ...

For every address, grpcio-reflection's v1alpha protocol (the version most deployed tooling still
speaks) must list exactly the given services plus health and both reflection services, and
grpcio-health-checking must report each given service SERVING. Exits non-zero, saying what
differed, otherwise. The end-to-end test runs it when NDRS_TEST_GRPC_PYTHON names a Python with
grpcio, grpcio-reflection and grpcio-health-checking (CI installs them).
"""

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

STANDARD = {
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}


def listed(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    return {s.name for s in response.list_services_response.service}


def main(arguments):
    problems = []
    for argument in arguments:
        address, _, names = argument.partition("=")
        services = set(filter(None, names.split(",")))
        with grpc.insecure_channel(address) as channel:
            got = listed(channel)
            want = services | STANDARD
            if got != want:
                problems.append(f"{address}: v1alpha lists {sorted(got)}, expected {sorted(want)}")
            health = health_pb2_grpc.HealthStub(channel)
            for service in sorted(services):
                status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status
                if status != health_pb2.HealthCheckResponse.SERVING:
                    problems.append(f"{address}: {service} is {status}, not SERVING")
        print(f"{address}: {len(services)} services listed and serving")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
