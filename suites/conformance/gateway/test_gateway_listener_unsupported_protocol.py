"""GatewayListenerUnsupportedProtocol: unknown protocols are refused per listener."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener
from suites.conformance.gateway.latest_conditions import must_have_latest_conditions

UNSUPPORTED = ExpectedListener(
    "invalid", 0, (), (Condition("Accepted", "False", "UnsupportedProtocol"),)
)
HTTP = ExpectedListener("http", 0, ("HTTPRoute",), (Condition("Accepted", "True", "Accepted"),))


@scenario(
    "GatewayListenerUnsupportedProtocol",
    features={"Gateway"},
    manifest="test_gateway_listener_unsupported_protocol.yaml",
)
def test_gateway_listener_unsupported_protocol(gateway: GatewayHandle) -> None:
    only = gateway.other("gateway-only-unsupported-protocols")
    must_have_latest_conditions(gateway.api, "Gateway", only.namespace, only.name, only.timeouts)
    # No listener left to accept: the Gateway itself is not Accepted.
    only.must_have_condition("Accepted", "False", "ListenersNotValid")
    only.must_have_listeners([UNSUPPORTED])

    mixed = gateway.other("gateway-supported-and-unsupported-protocols")
    must_have_latest_conditions(gateway.api, "Gateway", mixed.namespace, mixed.name, mixed.timeouts)
    # Accepted, yet the reason says some listeners are not valid.
    mixed.must_have_condition("Accepted", "True", "ListenersNotValid")
    mixed.must_have_listeners([HTTP, UNSUPPORTED])
