"""ListenerSetProtocolConflict: the earlier listener wins a protocol conflict."""

from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import conflicts_must_follow_precedence


@scenario(
    "ListenerSetProtocolConflict",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_protocol_conflict.yaml",
)
def test_listenerset_protocol_conflict(gateway: GatewayHandle) -> None:
    conflicts_must_follow_precedence(gateway, "protocol")
