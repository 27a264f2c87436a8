"""TLSRouteMixedTerminationSameNamespace: Terminate and Passthrough share a port, by SNI."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.kube.status import Condition, ExpectedListener
from suites.conformance.tlsroute.tls_checks import checks_ca, must_reach

ACCEPTED = (Condition("Accepted", "True", "Accepted"),)


@scenario(
    "TLSRouteMixedTerminationSameNamespace",
    features={"Gateway", "TLSRoute", "TLSRouteModeTerminate", "TLSRouteModeMixed"},
    manifest="test_tlsroute_mixed_termination_same_namespace.yaml",
    gateway="gateway-tlsroute-mixed-termination",
    provisional=True,
)
def test_tlsroute_mixed_termination_same_namespace(
    gateway: GatewayHandle, timeouts: TimeoutConfig
) -> None:
    for name in (
        "gateway-conformance-mixed-passthroughroute",
        "gateway-conformance-mixed-terminateroute",
    ):
        gateway.route(name, kind="TLSRoute").must_be_accepted()
    gateway.must_have_listeners(
        [
            ExpectedListener("tls-terminate", 1, ("TLSRoute",), ACCEPTED),
            ExpectedListener("tls-passthrough", 1, ("TLSRoute",), ACCEPTED),
        ]
    )
    address = gateway.address()
    # tls.example.com ends at the Gateway: the backend's plain port answers.
    must_reach(
        address,
        "tcp-backend",
        timeouts,
        checks_ca(gateway.api, "tls.example.com"),
        backend_sees_tls=False,
    )
    # abc.example.com passes through: the backend's TLS port sees the client's SNI.
    must_reach(
        address,
        "tcp-backend",
        timeouts,
        checks_ca(gateway.api, "abc.example.com"),
        backend_sees_tls=True,
        backend_sni="abc.example.com",
    )
