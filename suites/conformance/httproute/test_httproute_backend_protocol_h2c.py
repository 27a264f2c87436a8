"""HTTPRouteBackendProtocolH2C: an HTTP/2 prior-knowledge request reaches an h2c backend port."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteBackendProtocolH2C",
    features={"Gateway", "HTTPRoute", "HTTPRouteBackendProtocolH2C"},
    manifest="test_httproute_backend_protocol_h2c.yaml",
)
def test_httproute_backend_protocol_h2c(gateway: GatewayHandle, traffic: Traffic) -> None:
    gateway.route("backend-protocol-h2c").must_be_accepted()
    # The h2c upgrade dance (HTTP/1.1 Upgrade: h2c) is deprecated and not tested.
    traffic.get("/", protocol="H2C_PRIOR_KNOWLEDGE").must_be_served_by("infra-backend-v1")
