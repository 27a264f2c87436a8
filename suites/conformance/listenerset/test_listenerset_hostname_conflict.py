"""ListenerSetHostnameConflict: the earlier listener wins a hostname conflict."""

from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import conflicts_must_follow_precedence


@scenario(
    "ListenerSetHostnameConflict",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_hostname_conflict.yaml",
)
def test_listenerset_hostname_conflict(gateway: GatewayHandle) -> None:
    conflicts_must_follow_precedence(gateway, "hostname")
