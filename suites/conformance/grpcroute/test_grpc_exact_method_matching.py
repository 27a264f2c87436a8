"""GRPCExactMethodMatching: an exact method match picks the backend; other methods find no route."""

import grpc

from harness.conformance.grpc_traffic import GrpcTraffic
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig


@scenario(
    "GRPCExactMethodMatching",
    features={"Gateway", "GRPCRoute"},
    manifest="test_grpc_exact_method_matching.yaml",
)
def test_grpc_exact_method_matching(gateway: GatewayHandle, timeouts: TimeoutConfig) -> None:
    gateway.route("exact-matching", kind="GRPCRoute").must_be_accepted()
    calls = GrpcTraffic(gateway.address(), timeouts)
    calls.call("Echo").must_be_served_by("grpc-infra-backend-v1")
    calls.call("EchoTwo").must_be_served_by("grpc-infra-backend-v2")
    # No rule matches EchoThree: the Gateway must end the call with UNIMPLEMENTED.
    calls.call("EchoThree").must_fail_with(grpc.StatusCode.UNIMPLEMENTED)
