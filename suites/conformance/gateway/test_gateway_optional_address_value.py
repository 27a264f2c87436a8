"""GatewayOptionalAddressValue: an address without a value still gets one assigned."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.gateway.latest_conditions import must_have_latest_conditions

NAME = "gateway-without-address-value"


@scenario(
    "GatewayOptionalAddressValue",
    features={"Gateway", "GatewayAddressEmpty"},
    manifest="test_gateway_optional_address_value.yaml",
    provisional=True,
)
def test_gateway_optional_address_value(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    must_have_latest_conditions(gateway.api, "Gateway", gateway.namespace, NAME, gateway.timeouts)
    address = gateway.other(NAME).address("http")
    assert address.endswith(":8080"), f"address {address} is not on the http listener's port"
