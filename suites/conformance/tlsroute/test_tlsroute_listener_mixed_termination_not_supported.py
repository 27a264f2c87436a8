"""TLSRouteListenerMixedTerminationNotSupported: mixed modes on one port conflict if unsupported."""

from harness.conformance.plugin import ConformanceRun
from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

CONFLICT = (Condition("Accepted", "False", "ProtocolConflict"),)


@scenario(
    "TLSRouteListenerMixedTerminationNotSupported",
    features={"Gateway", "TLSRoute", "TLSRouteModeTerminate"},
    manifest="test_tlsroute_listener_mixed_termination_not_supported.yaml",
    gateway="gateway-tlsroute-mixed-termination-not-supported",
)
def test_tlsroute_listener_mixed_termination_not_supported(
    gateway: GatewayHandle, conformance_run: ConformanceRun
) -> None:
    if "TLSRouteModeMixed" in conformance_run.supported:
        # As upstream: passes without checks when mixed termination is supported
        # (TLSRouteMixedTerminationSameNamespace covers that case).
        return
    gateway.must_have_listeners(
        [
            ExpectedListener("tls-terminate", 0, (), CONFLICT),
            ExpectedListener("tls-passthrough", 0, (), CONFLICT),
        ]
    )
