"""GatewayClassObservedGenerationBump: conditions follow a GatewayClass spec change."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube import status as st
from harness.kube.patch import merge_patch
from harness.kube.waiting import wait_for
from suites.conformance.gateway.latest_conditions import (
    GATEWAY_API,
    generation,
    must_have_latest_conditions,
)

NAME = "gatewayclass-observed-generation-bump"


@scenario(
    "GatewayClassObservedGenerationBump",
    features={"Gateway"},
    manifest="test_gatewayclass_observed_generation_bump.yaml",
)
def test_gatewayclass_observed_generation_bump(gateway: GatewayHandle) -> None:
    api, timeouts = gateway.api, gateway.timeouts
    kind = f"{GATEWAY_API}/GatewayClass"
    # Accepted with any status, at the latest generation (GWCMustHaveAcceptedConditionAny).
    wait_for(api, kind, "", NAME, st.gatewayclass_accepted(""), timeouts.GWCMustBeAccepted)
    original = must_have_latest_conditions(api, "GatewayClass", "", NAME, timeouts)

    merge_patch(api, kind, "", NAME, {"spec": {"description": "new"}})

    wait_for(api, kind, "", NAME, st.gatewayclass_accepted(""), timeouts.GWCMustBeAccepted)
    updated = must_have_latest_conditions(api, "GatewayClass", "", NAME, timeouts)
    assert generation(updated) != generation(original), "generation did not change on update"
