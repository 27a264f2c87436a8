"""GatewayInvalidParametersRef: a parametersRef to a missing object is InvalidParameters."""

from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.gateway.latest_conditions import must_have_latest_conditions

NAME = "gateway-invalid-parameters-ref"


@scenario(
    "GatewayInvalidParametersRef",
    features={"Gateway"},
    manifest="test_gateway_invalid_parameters_ref.yaml",
)
def test_gateway_invalid_parameters_ref(gateway: GatewayHandle) -> None:
    must_have_latest_conditions(gateway.api, "Gateway", gateway.namespace, NAME, gateway.timeouts)
    gateway.other(NAME).must_have_condition("Accepted", "False", "InvalidParameters")
