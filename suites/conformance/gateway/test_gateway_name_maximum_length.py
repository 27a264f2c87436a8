"""GatewayNameMaximumLength: a Gateway with a 253-character name is still reconciled."""

from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.gateway.latest_conditions import must_have_latest_conditions

NAME = "gateway-name-maximum-length-" + "a" * 225


@scenario(
    "GatewayNameMaximumLength",
    features={"Gateway"},
    manifest="test_gateway_name_maximum_length.yaml",
)
def test_gateway_name_maximum_length(gateway: GatewayHandle) -> None:
    assert len(NAME) == 253
    must_have_latest_conditions(gateway.api, "Gateway", gateway.namespace, NAME, gateway.timeouts)
