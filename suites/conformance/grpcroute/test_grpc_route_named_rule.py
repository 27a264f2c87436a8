"""GRPCRouteNamedRule: a named rule is accepted and routes like an unnamed one."""

from harness.conformance.grpc_traffic import GrpcTraffic
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig


@scenario(
    "GRPCRouteNamedRule",
    features={"Gateway", "GRPCRoute", "GRPCRouteNamedRouteRule"},
    manifest="test_grpc_route_named_rule.yaml",
    provisional=True,
)
def test_grpc_route_named_rule(gateway: GatewayHandle, timeouts: TimeoutConfig) -> None:
    gateway.route("grpc-named-rules", kind="GRPCRoute").must_be_accepted()
    calls = GrpcTraffic(gateway.address(), timeouts)
    calls.call("Echo").must_be_served_by("grpc-infra-backend-v1")
    calls.call("EchoTwo").must_be_served_by("grpc-infra-backend-v2")
