"""GatewayObservedGenerationBump: Gateway conditions follow a listener being added."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.gateway.latest_conditions import generation, must_have_latest_conditions
from suites.conformance.gateway.spec_change import apply_spec

NAME = "gateway-observed-generation-bump"
ALTERNATE = {
    "name": "alternate",
    "hostname": "foo.com",
    "port": 80,
    "protocol": "HTTP",
    "allowedRoutes": {"namespaces": {"from": "All"}},
}


@scenario(
    "GatewayObservedGenerationBump",
    features={"Gateway"},
    manifest="test_gateway_observed_generation_bump.yaml",
    gateway=NAME,
)
def test_gateway_observed_generation_bump(gateway: GatewayHandle) -> None:
    api, ns, timeouts = gateway.api, gateway.namespace, gateway.timeouts
    namespaces_ready(api, [ns], timeouts)
    original = must_have_latest_conditions(api, "Gateway", ns, NAME, timeouts)

    listeners = [*original["spec"]["listeners"], ALTERNATE]
    apply_spec(api, original, {**original["spec"], "listeners": listeners})

    namespaces_ready(api, [ns], timeouts)
    updated = must_have_latest_conditions(api, "Gateway", ns, NAME, timeouts)
    assert generation(updated) != generation(original), "generation did not change on update"
