"""HTTPRouteObservedGenerationBump: parent conditions follow a spec change's generation."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube import status as st
from harness.kube.patch import merge_patch
from harness.kube.waiting import wait_for
from suites.conformance.gateway.latest_conditions import GATEWAY_API, generation

ROUTE = "observed-generation-bump"


class LatestParentConditions(st.StatusExpectation):
    """HTTPRouteMustHaveLatestConditions: parents exist, all at metadata.generation."""

    text = "every status.parents[] condition has observedGeneration == metadata.generation"

    def check(self, obj: st.Obj) -> str | None:
        parents = obj.get("status", {}).get("parents") or []
        if not parents:
            return "status.parents is empty"
        for parent in parents:
            if stale := st.stale_conditions(obj, parent.get("conditions") or []):
                return stale
        return None


@scenario(
    "HTTPRouteObservedGenerationBump",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_observed_generation_bump.yaml",
)
def test_httproute_observed_generation_bump(gateway: GatewayHandle) -> None:
    kind = f"{GATEWAY_API}/HTTPRoute"
    timeout = gateway.timeouts.LatestObservedGenerationSet
    latest = LatestParentConditions()
    original = wait_for(gateway.api, kind, gateway.namespace, ROUTE, latest, timeout)
    assert original is not None
    rules = [{"backendRefs": [{"name": "infra-backend-v2", "port": 8080}]}]
    merge_patch(gateway.api, kind, gateway.namespace, ROUTE, {"spec": {"rules": rules}})

    route = gateway.route(ROUTE)
    route.must_have_condition("Accepted", "True")
    route.must_have_resolved_refs()
    updated = wait_for(gateway.api, kind, gateway.namespace, ROUTE, latest, timeout)
    assert updated is not None
    assert generation(updated) != generation(original), "generation did not change on update"
