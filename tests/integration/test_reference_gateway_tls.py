"""Gateway spec.tls and spec.addresses through the real reference controller and node agent:
status reasons for bad input (a missing CA ConfigMap, a client certificate Secret without
tls.key, an unusable static address) and their recovery once the input is fixed.

The controller runs as its real entry point with a controller name and class of its own.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from harness.cluster.local.static_addresses import pick_static_addresses
from reference_impl.controller import examples
from tests.integration.test_reference_controller import (
    GROUP,
    VERSION,
    Env,
    condition,
    running_controller,
    wait_for,
)

pytestmark = [pytest.mark.integration]


class GatewayTlsEnv(Env):
    """One controller process, its GatewayClass and a namespace for this module's objects."""

    def __init__(self, local_cluster: Any) -> None:
        super().__init__(local_cluster)
        self.network = local_cluster.state.network

    def gateway(self, name: str, listeners: list[dict[str, Any]], **spec: Any) -> None:
        self.custom.create_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            "gateways",
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "Gateway",
                "metadata": {"name": name, "namespace": self.namespace},
                "spec": {"gatewayClassName": self.class_name, "listeners": listeners, **spec},
            },
        )

    def patch_gateway(self, name: str, spec: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "gateways", name, {"spec": spec}
        )

    def status(self, name: str) -> dict[str, Any]:
        obj = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "gateways", name
        )
        return dict(obj.get("status") or {})

    def has(self, name: str, type_: str, status: str, reason: str) -> Any:
        """The Gateway's condition when it has this status and reason (None otherwise)."""
        found = condition(self.status(name).get("conditions"), type_)
        return found if found and (found["status"], found["reason"]) == (status, reason) else None

    def listener_has(self, name: str, listener: str, type_: str, status: str, reason: str) -> Any:
        for entry in self.status(name).get("listeners") or ():
            if entry["name"] == listener:
                found = condition(entry.get("conditions"), type_)
                if found and (found["status"], found["reason"]) == (status, reason):
                    return found
        return None


@pytest.fixture(scope="module")
def env(local_cluster: Any) -> Iterator[GatewayTlsEnv]:
    with running_controller(GatewayTlsEnv(local_cluster)) as environment:
        yield environment


def _server_secret(env: GatewayTlsEnv) -> None:
    cert, key = examples.self_signed_pem("example.org")
    env.core.create_namespaced_secret(
        env.namespace,
        {
            "metadata": {"name": "server"},
            "type": "kubernetes.io/tls",
            "data": {
                "tls.crt": base64.b64encode(cert.encode()).decode(),
                "tls.key": base64.b64encode(key.encode()).decode(),
            },
        },
    )


def test_missing_ca_config_map_then_its_arrival(env: GatewayTlsEnv) -> None:
    _server_secret(env)
    https = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"certificateRefs": [{"group": "", "kind": "Secret", "name": "server"}]},
    }
    ref = {"group": "", "kind": "ConfigMap", "name": "client-ca"}
    env.gateway(
        "frontend",
        [https],
        tls={"frontend": {"default": {"validation": {"caCertificateRefs": [ref]}}}},
    )
    wait_for(
        "listener ResolvedRefs=False/InvalidCACertificateRef",
        lambda: env.listener_has(
            "frontend", "https", "ResolvedRefs", "False", "InvalidCACertificateRef"
        ),
    )
    assert env.listener_has("frontend", "https", "Accepted", "False", "NoValidCACertificate")
    assert env.listener_has("frontend", "https", "Programmed", "False", "Invalid")
    assert env.has("frontend", "ResolvedRefs", "False", "ListenersNotResolved")

    ca_pem, _ = examples.self_signed_pem("client-ca.example.org")
    env.core.create_namespaced_config_map(
        env.namespace, {"metadata": {"name": "client-ca"}, "data": {"ca.crt": ca_pem}}
    )
    wait_for(
        "listener Accepted once the ConfigMap exists",
        lambda: env.listener_has("frontend", "https", "Accepted", "True", "Accepted"),
    )
    assert env.listener_has("frontend", "https", "ResolvedRefs", "True", "ResolvedRefs")
    assert env.has("frontend", "ResolvedRefs", "True", "ResolvedRefs")
    assert not condition(env.status("frontend").get("conditions"), "InsecureFrontendValidationMode")

    insecure = {"caCertificateRefs": [ref], "mode": "AllowInsecureFallback"}
    env.patch_gateway("frontend", {"tls": {"frontend": {"default": {"validation": insecure}}}})
    wait_for(
        "InsecureFrontendValidationMode=True",
        lambda: env.has(
            "frontend", "InsecureFrontendValidationMode", "True", "ConfigurationChanged"
        ),
    )
    strict = {"caCertificateRefs": [ref], "mode": "AllowValidOnly"}
    env.patch_gateway("frontend", {"tls": {"frontend": {"default": {"validation": strict}}}})
    wait_for(
        "InsecureFrontendValidationMode removed",
        lambda: (
            condition(env.status("frontend").get("conditions"), "InsecureFrontendValidationMode")
            is None
            and env.has("frontend", "Accepted", "True", "Accepted")
        ),
    )


def test_client_certificate_secret_without_key_then_a_usable_one(env: GatewayTlsEnv) -> None:
    cert, key = examples.self_signed_pem("gateway-client")
    # A Secret of type kubernetes.io/tls must hold tls.key; this one is Opaque and lacks it.
    env.core.create_namespaced_secret(
        env.namespace,
        {
            "metadata": {"name": "client-no-key"},
            "type": "Opaque",
            "data": {"tls.crt": base64.b64encode(cert.encode()).decode()},
        },
    )
    http = {"name": "http", "port": 80, "protocol": "HTTP"}
    client_ref = {"group": "", "kind": "Secret", "name": "client-no-key"}
    env.gateway("backend-cert", [http], tls={"backend": {"clientCertificateRef": client_ref}})
    wait_for(
        "Gateway ResolvedRefs=False/InvalidClientCertificateRef",
        lambda: env.has("backend-cert", "ResolvedRefs", "False", "InvalidClientCertificateRef"),
    )
    assert env.has("backend-cert", "Accepted", "True", "Accepted")

    env.core.create_namespaced_secret(
        env.namespace,
        {
            "metadata": {"name": "client"},
            "type": "kubernetes.io/tls",
            "data": {
                "tls.crt": base64.b64encode(cert.encode()).decode(),
                "tls.key": base64.b64encode(key.encode()).decode(),
            },
        },
    )
    usable = {"group": "", "kind": "Secret", "name": "client"}
    env.patch_gateway("backend-cert", {"tls": {"backend": {"clientCertificateRef": usable}}})
    wait_for(
        "Gateway ResolvedRefs=True",
        lambda: env.has("backend-cert", "ResolvedRefs", "True", "ResolvedRefs"),
    )


def test_unusable_static_address_then_a_usable_one(env: GatewayTlsEnv) -> None:
    services = env.core.list_service_for_all_namespaces()
    picked = pick_static_addresses(
        env.network, [env.api.sanitize_for_serialization(s) for s in services.items]
    )
    http = {"name": "http", "port": 8080, "protocol": "HTTP"}
    env.gateway("static", [http], addresses=[{"type": "IPAddress", "value": picked.unusable}])
    wait_for(
        "Programmed=False/AddressNotUsable",
        lambda: env.has("static", "Programmed", "False", "AddressNotUsable"),
        timeout=120,
    )
    assert env.has("static", "Accepted", "True", "Accepted")
    listed = [a["value"] for a in env.status("static").get("addresses") or ()]
    assert picked.unusable not in listed

    env.patch_gateway("static", {"addresses": [{"type": "IPAddress", "value": picked.usable}]})
    wait_for(
        "Programmed=True with the usable address",
        lambda: env.has("static", "Programmed", "True", "Programmed"),
        timeout=120,
    )
    assert env.status("static")["addresses"] == [{"type": "IPAddress", "value": picked.usable}]
