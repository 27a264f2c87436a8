"""Pieces of the waiters that need no cluster: failure text and object references."""

from __future__ import annotations

import yaml

from harness.kube import status as st
from harness.kube.resources import ObjectRef
from harness.kube.waiting import Expectation, status_yaml


def test_status_yaml_shows_generation_and_status() -> None:
    obj = {"metadata": {"generation": 4}, "status": {"conditions": [{"type": "Accepted"}]}}
    text = status_yaml(obj)
    assert all(line.startswith("    ") for line in text.splitlines())
    assert yaml.safe_load("\n".join(line[4:] for line in text.splitlines())) == {
        "generation": 4,
        "status": {"conditions": [{"type": "Accepted"}]},
    }
    assert "does not exist" in status_yaml(None)


def test_object_ref_hint_and_text() -> None:
    ref = ObjectRef("gateway.networking.k8s.io/v1", "HTTPRoute", "infra", "r")
    assert str(ref) == "HTTPRoute infra/r"
    assert (
        ref.kubectl_hint() == "kubectl get httproute.gateway.networking.k8s.io -n infra r -o yaml"
    )
    core = ObjectRef("v1", "Namespace", "", "n")
    assert core.kubectl_hint() == "kubectl get namespace n -o yaml"
    assert (
        ObjectRef.of({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}).namespace == ""
    )


def test_status_expectations_satisfy_the_protocol() -> None:
    assert isinstance(st.route_has_no_accepted_parents(), Expectation)
    assert isinstance(st.gateway_has_condition("Accepted"), Expectation)
    assert (
        st.gateway_has_condition("Accepted", "True")
        .describe()
        .startswith("conditions Accepted=True")
    )
