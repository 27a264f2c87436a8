"""HTTPRouteBackendProtocolWebSocket: a WebSocket through the Gateway echoes text and binary."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

TEXT = "Websocket Support!"
BINARY = bytes([1, 2, 3, 4, 5, 6, 7])


@scenario(
    "HTTPRouteBackendProtocolWebSocket",
    features={"Gateway", "HTTPRoute", "HTTPRouteBackendProtocolWebSocket"},
    manifest="test_httproute_backend_protocol_websocket.yaml",
)
def test_httproute_backend_protocol_websocket(gateway: GatewayHandle, traffic: Traffic) -> None:
    gateway.route("backend-protocol-ws").must_be_accepted()
    # As upstream: one connection per round echoes a text then a binary message, and
    # the rounds repeat until consistent.
    traffic.must_echo_websocket(
        "/ws", [TEXT, BINARY], origin="ws://gateway/HTTPRouteBackendProtocolWebSocket"
    )
