"""GatewayStaticAddresses: an unsupported address type is not Accepted, an unusable address
is not Programmed, and the usable one is bound and reported."""

from typing import Any

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.patch import merge_patch
from harness.kube.status import Condition, ExpectedListener, StatusExpectation
from harness.kube.waiting import wait_for
from suites.conformance.gateway.latest_conditions import GATEWAY_API, must_have_latest_conditions

NAME = "gateway-static-addresses"
FINAL_LISTENER = ExpectedListener(
    "http", 0, ("HTTPRoute",), (Condition("Accepted", "True"), Condition("ResolvedRefs", "True"))
)


class OneStatusAddress(StatusExpectation):
    """status.addresses holds exactly one entry (upstream polls for len == 1)."""

    text = "exactly one status address"

    def check(self, obj: dict[str, Any]) -> str | None:
        found = (obj.get("status") or {}).get("addresses") or []
        return None if len(found) == 1 else f"status.addresses is {found}"


def _without(gateway: GatewayHandle, addresses: list[Any], value: str) -> list[Any]:
    kept = [a for a in addresses if a.get("value") != value]
    patch = {"spec": {"addresses": kept}}
    merge_patch(gateway.api, f"{GATEWAY_API}/Gateway", gateway.namespace, NAME, patch)
    return kept


@scenario(
    "GatewayStaticAddresses",
    features={"Gateway", "GatewayStaticAddresses"},
    manifest="test_gateway_static_addresses.yaml",
    gateway=NAME,
)
def test_gateway_static_addresses(gateway: GatewayHandle) -> None:
    api, namespace, timeouts = gateway.api, gateway.namespace, gateway.timeouts
    current = must_have_latest_conditions(api, "Gateway", namespace, NAME, timeouts)
    addresses = list(current["spec"].get("addresses") or [])
    assert len(addresses) == 3, (
        f"expected an invalid, an unusable and a usable address, got {addresses} "
        "(pass --usable-address and --unusable-address)"
    )
    invalid, unusable, usable = addresses
    gateway.must_have_condition("Accepted", "False", "UnsupportedAddress")

    addresses = _without(gateway, addresses, invalid["value"])
    must_have_latest_conditions(api, "Gateway", namespace, NAME, timeouts)
    gateway.must_have_condition("Accepted", "True", "Accepted")
    gateway.must_have_condition("Programmed", "False", "AddressNotUsable")

    _without(gateway, addresses, unusable["value"])
    must_have_latest_conditions(api, "Gateway", namespace, NAME, timeouts)
    gateway.must_have_condition("Accepted", "True", "Accepted")
    gateway.must_have_condition("Programmed", "True", "Programmed")
    gateway.must_have_listeners([FINAL_LISTENER])
    obj = wait_for(
        api, f"{GATEWAY_API}/Gateway", namespace, NAME, OneStatusAddress(),
        timeouts.GatewayMustHaveAddress,
    )  # fmt: skip
    assert obj is not None
    bound = obj["status"]["addresses"]
    values = [a.get("value") for a in bound]
    assert unusable["value"] not in values, f"status lists the unusable address: {bound}"
    assert invalid["value"] not in values, f"status lists the invalid address: {bound}"
    assert usable["value"] in values, f"status lacks the usable address: {bound}"
    for entry in bound:
        if entry.get("value") == usable["value"]:
            assert entry.get("type") == usable.get("type"), (
                f"status address {entry} has another type than the requested {usable}"
            )
