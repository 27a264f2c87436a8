"""GRPCRouteHeaderMatching: metadata matches select the backend, the most specific rule wins."""

import grpc

from harness.conformance.grpc_traffic import GrpcTraffic
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig

# (request metadata, Deployment that must answer, or None for no matching route)
CASES: list[tuple[dict[str, str], str | None]] = [
    ({"version": "one"}, "grpc-infra-backend-v1"),
    ({"version": "two"}, "grpc-infra-backend-v2"),
    # Two header matches beat one: version=two AND color=orange goes to v1.
    ({"version": "two", "color": "orange"}, "grpc-infra-backend-v1"),
    # Equal specificity: the earlier rule (version: two) wins over color: blue.
    ({"version": "two", "color": "blue"}, "grpc-infra-backend-v2"),
    ({"color": "orange"}, None),
    ({"some-other-header": "one"}, None),
    ({"color": "blue"}, "grpc-infra-backend-v1"),
    ({"color": "green"}, "grpc-infra-backend-v1"),
    ({"color": "red"}, "grpc-infra-backend-v2"),
    ({"color": "yellow"}, "grpc-infra-backend-v2"),
    ({"color": "purple"}, None),
]


@scenario(
    "GRPCRouteHeaderMatching",
    features={"Gateway", "GRPCRoute"},
    manifest="test_grpc_route_header_matching.yaml",
)
def test_grpc_route_header_matching(gateway: GatewayHandle, timeouts: TimeoutConfig) -> None:
    gateway.route("grpc-header-matching", kind="GRPCRoute").must_be_accepted()
    calls = GrpcTraffic(gateway.address(), timeouts)
    for metadata, backend in CASES:
        call = calls.call("Echo", metadata=metadata)
        if backend is None:
            call.must_fail_with(grpc.StatusCode.UNIMPLEMENTED)
        else:
            # Beyond upstream: the matched metadata must reach the backend unchanged.
            call.must_be_served_by(backend, headers=metadata)
