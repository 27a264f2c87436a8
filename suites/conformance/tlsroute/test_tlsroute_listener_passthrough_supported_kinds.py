"""TLSRouteListenerPassthroughSupportedKinds: TCPRoute is refused, TLSRoute kept as supported."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener


@scenario(
    "TLSRouteListenerPassthroughSupportedKinds",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_listener_passthrough_supported_kinds.yaml",
    gateway="gateway-tlsroute-passthrough-supported-kind",
)
def test_tlsroute_listener_passthrough_supported_kinds(gateway: GatewayHandle) -> None:
    gateway.must_have_listeners(
        [
            ExpectedListener(
                "tls-passthrough",
                0,
                ("TLSRoute",),
                (Condition("ResolvedRefs", "False", "InvalidRouteKinds"),),
            )
        ]
    )
