"""TLSRouteListenerTerminateSupportedKinds: a Terminate TLS listener is accepted for TLSRoute."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener


@scenario(
    "TLSRouteListenerTerminateSupportedKinds",
    features={"Gateway", "TLSRoute", "TLSRouteModeTerminate"},
    manifest="test_tlsroute_listener_terminate_supported_kinds.yaml",
    gateway="gateway-tlsroute-terminate-supported",
)
def test_tlsroute_listener_terminate_supported_kinds(gateway: GatewayHandle) -> None:
    gateway.must_have_listeners(
        [
            ExpectedListener(
                "tls-terminate", 0, ("TLSRoute",), (Condition("Accepted", "True", "Accepted"),)
            )
        ]
    )
