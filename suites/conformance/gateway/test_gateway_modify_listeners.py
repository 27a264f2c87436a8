"""GatewayModifyListeners: listeners can be added to and removed from a live Gateway."""

from collections.abc import Callable
from typing import Any

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener
from suites.conformance.gateway.latest_conditions import generation, must_have_latest_conditions
from suites.conformance.gateway.spec_change import apply_spec

Listeners = list[dict[str, Any]]
ADDED = {
    "name": "http",
    "port": 80,
    "protocol": "HTTP",
    "hostname": "data.test.com",
    "allowedRoutes": {"namespaces": {"from": "All"}},
}
READY = (Condition("Accepted", "True"), Condition("ResolvedRefs", "True"))


def _listener(name: str) -> ExpectedListener:
    return ExpectedListener(name, 1, ("HTTPRoute",), READY)


def _edit_listeners(
    gateway: GatewayHandle, expected: list[ExpectedListener], edit: Callable[[Listeners], Listeners]
) -> None:
    """Patch the Gateway's listeners with ``edit``; then status and generation must follow."""
    api, ns, timeouts = gateway.api, gateway.namespace, gateway.timeouts
    namespaces_ready(api, [ns], timeouts)
    original = must_have_latest_conditions(api, "Gateway", ns, gateway.name, timeouts)
    listeners = edit(list(original["spec"]["listeners"]))
    apply_spec(api, original, {**original["spec"], "listeners": listeners})
    namespaces_ready(api, [ns], timeouts)
    gateway.must_have_listeners(expected)
    updated = must_have_latest_conditions(api, "Gateway", ns, gateway.name, timeouts)
    assert generation(updated) != generation(original), "generation did not change on update"


def _only_http(listeners: Listeners) -> Listeners:
    assert len(listeners) == 2, f"gateway-remove-listener must start with 2 listeners: {listeners}"
    return [item for item in listeners if item["name"] == "http"]


@scenario(
    "GatewayModifyListeners",
    features={"Gateway"},
    manifest="test_gateway_modify_listeners.yaml",
)
def test_gateway_modify_listeners(gateway: GatewayHandle) -> None:
    _edit_listeners(
        gateway.other("gateway-add-listener"),
        [_listener("https"), _listener("http")],
        lambda listeners: [*listeners, ADDED],
    )
    _edit_listeners(gateway.other("gateway-remove-listener"), [_listener("http")], _only_http)
