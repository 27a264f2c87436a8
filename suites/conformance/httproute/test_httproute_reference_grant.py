"""HTTPRouteReferenceGrant: a grant allows a cross-namespace backend; deleting it revokes."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.delete import delete_and_wait
from harness.kube.resources import ObjectRef

WEB_BACKEND = "gateway-conformance-web-backend"


@scenario(
    "HTTPRouteReferenceGrant",
    features={"Gateway", "HTTPRoute", "ReferenceGrant"},
    manifest="test_httproute_reference_grant.yaml",
)
def test_httproute_reference_grant(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("reference-grant")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/").must_be_served_by("web-backend", namespace=WEB_BACKEND)

    grant = ObjectRef(
        "gateway.networking.k8s.io/v1", "ReferenceGrant", WEB_BACKEND, "reference-grant"
    )
    delete_and_wait(gateway.api, [grant], gateway.timeouts.DeleteTimeout)
    traffic.get("/").must_get(500)
