"""ListenerSetReferenceGrant: certificateRefs of ListenerSet listeners need their own grant."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition
from suites.conformance.listenerset.expectations import must_be_rejected


@scenario(
    "ListenerSetReferenceGrant",
    features={"Gateway", "ListenerSet", "ReferenceGrant"},
    manifest="test_listenerset_reference_grant.yaml",
)
def test_listenerset_reference_grant(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-with-listener-sets-test-reference-grant")
    parent.must_have_condition("Accepted", "True")
    # Upstream leaves attachedListenerSets unchecked here: implementations may count a
    # ListenerSet whose only listener lacks its grant either way.

    granted = ListenerSetHandle.of(parent, "listenerset-with-reference-grant")
    granted.must_have_condition("Accepted", "True")
    granted.must_have_condition("Programmed", "True")
    granted.listeners_must_have(
        Condition("ResolvedRefs", "True"), names=["listenerset-with-reference-grant-listener"]
    )

    ungranted = ListenerSetHandle.of(
        parent,
        "listenerset-without-reference-grant",
        "gateway-api-listener-sets-test-reference-grant-ns",
    )
    must_be_rejected(ungranted, "ListenersNotValid")
    ungranted.listeners_must_have(
        Condition("ResolvedRefs", "False", "RefNotPermitted"),
        names=["listenerset-without-reference-grant-listener"],
    )
