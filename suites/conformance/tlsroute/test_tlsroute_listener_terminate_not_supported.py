"""TLSRouteListenerTerminateNotSupported: without Terminate support, the listener is refused."""

from harness.conformance.plugin import ConformanceRun
from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener


@scenario(
    "TLSRouteListenerTerminateNotSupported",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_listener_terminate_not_supported.yaml",
    gateway="gateway-tlsroute-terminate-unsupported",
)
def test_tlsroute_listener_terminate_not_supported(
    gateway: GatewayHandle, conformance_run: ConformanceRun
) -> None:
    if "TLSRouteModeTerminate" in conformance_run.supported:
        # As upstream: nothing to check (and the test passes) when Terminate is supported;
        # TLSRouteListenerTerminateSupportedKinds covers that case.
        return
    gateway.must_have_listeners(
        [
            ExpectedListener(
                "tls-terminate", 0, (), (Condition("Accepted", "False", "UnsupportedValue"),)
            )
        ]
    )
