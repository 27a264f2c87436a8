"""TLSRouteSimpleSameNamespace: passthrough carries the client's TLS session to the backend."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from suites.conformance.tlsroute.tls_checks import checks_ca, must_reach

HOSTNAME = "abc.example.com"


@scenario(
    "TLSRouteSimpleSameNamespace",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_simple_same_namespace.yaml",
    gateway="gateway-tlsroute",
)
def test_tlsroute_simple_same_namespace(gateway: GatewayHandle, timeouts: TimeoutConfig) -> None:
    gateway.route("gateway-conformance-infra-test", kind="TLSRoute").must_be_accepted()
    # The backend itself terminates TLS, so it must see the TLS session and the client's SNI.
    must_reach(
        gateway.address(),
        "tcp-backend",
        timeouts,
        checks_ca(gateway.api, HOSTNAME),
        backend_sees_tls=True,
        backend_sni=HOSTNAME,
    )
