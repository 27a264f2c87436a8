"""GRPCRouteListenerHostnameMatching: the :authority picks the listener, hence the route."""

import grpc

from harness.conformance.grpc_traffic import GrpcTraffic
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig

# (:authority, Deployment that must answer, or None when no listener matches)
CASES = [
    ("bar.com", "grpc-infra-backend-v1"),
    ("foo.bar.com", "grpc-infra-backend-v2"),
    ("baz.bar.com", "grpc-infra-backend-v3"),
    ("boo.bar.com", "grpc-infra-backend-v3"),
    ("multiple.prefixes.bar.com", "grpc-infra-backend-v3"),
    ("multiple.prefixes.foo.com", "grpc-infra-backend-v3"),
    ("foo.com", None),
    ("no.matching.host", None),
]


@scenario(
    "GRPCRouteListenerHostnameMatching",
    features={"Gateway", "GRPCRoute"},
    manifest="test_grpc_route_listener_hostname_matching.yaml",
    gateway="grpcroute-listener-hostname-matching",
)
def test_grpc_route_listener_hostname_matching(
    gateway: GatewayHandle, timeouts: TimeoutConfig
) -> None:
    for name in ("backend-v1", "backend-v2", "backend-v3"):
        gateway.route(name, kind="GRPCRoute").must_be_accepted()
    calls = GrpcTraffic(gateway.address(), timeouts)
    for authority, backend in CASES:
        call = calls.call("Echo", authority=authority)
        if backend is None:
            call.must_fail_with(grpc.StatusCode.UNIMPLEMENTED)
        else:
            # Beyond upstream: no filter rewrites the authority, so the backend sees it as sent.
            call.must_be_served_by(backend, headers={":authority": authority})
