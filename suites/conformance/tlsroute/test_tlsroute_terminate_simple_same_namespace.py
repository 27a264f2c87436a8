"""TLSRouteTerminateSimpleSameNamespace: the Gateway ends TLS and forwards plain TCP."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from suites.conformance.tlsroute.tls_checks import checks_ca, must_reach

HOSTNAME = "tls.example.com"


@scenario(
    "TLSRouteTerminateSimpleSameNamespace",
    features={"Gateway", "TLSRoute", "TLSRouteModeTerminate"},
    manifest="test_tlsroute_terminate_simple_same_namespace.yaml",
    gateway="gateway-tlsroute-terminate",
    provisional=True,
)
def test_tlsroute_terminate_simple_same_namespace(
    gateway: GatewayHandle, timeouts: TimeoutConfig
) -> None:
    gateway.route("tlsroute-terminated-test", kind="TLSRoute").must_be_accepted()
    # The client verifies the listener's certificate (tls.example.com, tls-checks CA);
    # the backend must see a plain connection.
    must_reach(
        gateway.address(),
        "tcp-backend",
        timeouts,
        checks_ca(gateway.api, HOSTNAME),
        backend_sees_tls=False,
    )
