"""Run-specific manifest rewrites: static address placeholders and namespace metadata."""

from __future__ import annotations

import pytest

from harness.conformance.manifest_rewrites import (
    UNUSABLE,
    USABLE,
    Rewrites,
    address_entry,
    parse_key_values,
)

GATEWAY = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "gw"},
    "spec": {
        "addresses": [
            {"type": "test/fake-invalid-type", "value": "1.2.3.4"},
            {"value": UNUSABLE},
            {"value": USABLE},
        ]
    },
}
NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "n", "labels": {"a": "1"}},
}


def test_address_placeholders() -> None:
    rewrites = Rewrites(usable_addresses=["198.19.16.9"], unusable_addresses=["gw.invalid"])
    (gateway,) = rewrites.apply([GATEWAY])
    assert gateway["spec"]["addresses"] == [
        {"type": "test/fake-invalid-type", "value": "1.2.3.4"},
        {"type": "Hostname", "value": "gw.invalid"},
        {"type": "IPAddress", "value": "198.19.16.9"},
    ]
    assert GATEWAY["spec"]["addresses"][2] == {"value": USABLE}  # input untouched


def test_namespace_metadata_merged() -> None:
    rewrites = Rewrites(
        namespace_labels={"istio-injection": "enabled"}, namespace_annotations={"x": "y"}
    )
    (ns, gateway) = rewrites.apply([NAMESPACE, GATEWAY])
    assert ns["metadata"]["labels"] == {"a": "1", "istio-injection": "enabled"}
    assert ns["metadata"]["annotations"] == {"x": "y"}
    assert "labels" not in gateway["metadata"]


def test_address_entry_and_key_values() -> None:
    assert address_entry("fd00::1") == {"type": "IPAddress", "value": "fd00::1"}
    assert parse_key_values("a=1, b=", "--namespace-labels") == {"a": "1", "b": ""}
    with pytest.raises(ValueError, match="--namespace-labels: 'oops' is not key=value"):
        parse_key_values("a=1,oops", "--namespace-labels")
