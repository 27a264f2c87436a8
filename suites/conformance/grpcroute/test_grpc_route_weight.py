"""GRPCRouteWeight: calls are split by backendRef weight; weight 0 gets none."""

from harness.conformance.grpc_traffic import GrpcTraffic
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from suites.conformance.grpcroute.grpc_weights import must_be_distributed

WEIGHTS = {
    "grpc-infra-backend-v1": 70.0,
    "grpc-infra-backend-v2": 30.0,
    "grpc-infra-backend-v3": 0.0,
}


@scenario(
    "GRPCRouteWeight",
    features={"Gateway", "GRPCRoute"},
    manifest="test_grpc_route_weight.yaml",
)
def test_grpc_route_weight(gateway: GatewayHandle, timeouts: TimeoutConfig) -> None:
    gateway.route("weighted-backends", kind="GRPCRoute").must_be_accepted()
    address = gateway.address()
    # Any backend of the route, like upstream's first consistent call (no backend named).
    GrpcTraffic(address, timeouts).call("Echo").must_be_served_by("grpc-infra-backend-")
    must_be_distributed(address, "Echo", WEIGHTS, timeouts)
