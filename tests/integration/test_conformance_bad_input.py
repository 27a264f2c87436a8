"""Bad input that needs a cluster to notice: one clear message, non-zero exit, nothing left.

(Unknown features and profiles, a bad kubeconfig and an unreachable API server are covered
without a cluster in ``tests/unit/test_conformance_plugin.py``.)
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.integration.test_conformance_catches_faults import (
    GROUP,
    VERSION,
    base_lock,
    run_conformance,
)

pytestmark = [pytest.mark.integration]

USAGE_ERROR = int(pytest.ExitCode.USAGE_ERROR)


def namespace_exists(api: Any, name: str) -> bool:
    try:
        client.CoreV1Api(api).read_namespace(name)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def test_unknown_gateway_class(local_cluster: Any, tmp_path: Path) -> None:
    api = local_cluster.api_client()
    name = f"no-such-class-{uuid.uuid4().hex[:6]}"
    with base_lock(local_cluster.name):
        run = run_conformance(str(local_cluster.kubeconfig), name, tmp_path, "--all-features")
        assert not namespace_exists(api, "gateway-conformance-infra")
    assert run.exit_code == USAGE_ERROR, run.output[-2000:]
    assert f"--gateway-class: GatewayClass {name!r} does not exist" in run.output
    assert "gwh reference install" in run.output
    assert run.output.count("cannot start the run") == 1
    assert run.tests == {}


def test_gateway_class_that_is_never_accepted(local_cluster: Any, tmp_path: Path) -> None:
    api = local_cluster.api_client()
    custom: Any = client.CustomObjectsApi(api)
    name = f"unserved-{uuid.uuid4().hex[:6]}"
    custom.create_cluster_custom_object(
        GROUP,
        VERSION,
        "gatewayclasses",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "GatewayClass",
            "metadata": {"name": name},
            # No controller serves this name, so nothing ever accepts the class.
            "spec": {"controllerName": f"gateway-harness.dev/nobody-{name}"},
        },
    )
    try:
        with base_lock(local_cluster.name):
            run = run_conformance(
                str(local_cluster.kubeconfig),
                name,
                tmp_path,
                "--all-features",
                "--timeout-config-overrides",
                "GWCMustBeAccepted:3",
            )
            assert not namespace_exists(api, "gateway-conformance-infra")
    finally:
        custom.delete_cluster_custom_object(GROUP, VERSION, "gatewayclasses", name)
    assert run.exit_code == USAGE_ERROR, run.output[-2000:]
    assert f"--gateway-class: GatewayClass {name!r} is not Accepted" in run.output
    assert run.tests == {}
