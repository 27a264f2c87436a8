"""Gateway spec.tls: frontend client-certificate validation per port, the backend client
certificate, their status reasons and what the routing table carries."""

from __future__ import annotations

from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.features import FULL_SUPPORT
from reference_impl.controller.model import Obj, snapshot_of
from reference_impl.routing_table import parse

T0 = "2026-11-26T03:00:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")
CERT, KEY = ex.self_signed_pem("example.org")
CA_PEM, _ = ex.self_signed_pem("client-ca.example.org")
OTHER_CA_PEM, _ = ex.self_signed_pem("other-ca.example.org")


def run(*objects: Obj) -> ComputeResult:
    return compute(snapshot_of(objects, T0, data_plane=FULL_SUPPORT), IMAGE)


def https(name: str = "https", port: int = 443, hostname: str | None = None) -> Obj:
    return ex.listener(
        name,
        port,
        "HTTPS",
        hostname,
        tls={"certificateRefs": [{"group": "", "kind": "Secret", "name": "server"}]},
    )


def ca_ref(name: str, kind: str = "ConfigMap", **extra: str) -> Obj:
    return {"group": "", "kind": kind, "name": name, **extra}


def validation(*refs: Obj, mode: str | None = None) -> Obj:
    block: Obj = {"caCertificateRefs": list(refs)}
    if mode is not None:
        block["mode"] = mode
    return block


def frontend(default: Obj | None = None, **per_port: Obj) -> Obj:
    result: Obj = {}
    if default is not None:
        result["default"] = {"validation": default}
    if per_port:
        result["perPort"] = [
            {"port": int(port.removeprefix("p")), "tls": {"validation": block}}
            for port, block in per_port.items()
        ]
    return {"frontend": result}


def base(gateway: Obj, *extra: Obj) -> list[Obj]:
    return [
        ex.gateway_class(),
        ex.namespace("infra"),
        ex.namespace("other"),
        ex.tls_secret("server", "infra", CERT, KEY),
        ex.config_map("client-ca", "infra", {"ca.crt": CA_PEM}),
        ex.config_map("other-ca", "infra", {"ca.crt": OTHER_CA_PEM}),
        gateway,
        *extra,
    ]


def listener_status(result: ComputeResult, name: str) -> dict[str, tuple[str, str]]:
    entry = next(e for e in result.gateway_statuses[GW]["listeners"] if e["name"] == name)
    return {c["type"]: (c["status"], c["reason"]) for c in entry["conditions"]}


def gateway_conditions(result: ComputeResult) -> dict[str, tuple[str, str]]:
    return {
        c["type"]: (c["status"], c["reason"]) for c in result.gateway_statuses[GW]["conditions"]
    }


def table_listener(result: ComputeResult, name: str) -> Obj:
    found: Obj = next(x for x in result.routing_tables[GW]["listeners"] if x["name"] == name)
    return found


def test_default_and_per_port_validation_reach_the_table() -> None:
    gateway = ex.gateway(
        listeners=[https(), https("second", 8443, "second.example.org")],
        tls=frontend(validation(ca_ref("client-ca")), p8443=validation(ca_ref("other-ca"))),
    )
    result = run(*base(gateway))
    assert table_listener(result, "https")["tls"]["clientValidation"] == {
        "mode": "AllowValidOnly",
        "caPem": CA_PEM if CA_PEM.endswith("\n") else CA_PEM + "\n",
    }
    assert (
        OTHER_CA_PEM.strip() in table_listener(result, "second")["tls"]["clientValidation"]["caPem"]
    )
    assert listener_status(result, "https")["Accepted"] == ("True", "Accepted")
    assert gateway_conditions(result)["ResolvedRefs"] == ("True", "ResolvedRefs")
    assert "InsecureFrontendValidationMode" not in gateway_conditions(result)
    parse({"version": 1, **result.routing_tables[GW]})  # the proxy accepts it


def test_each_bad_ca_reference_has_its_own_reason_and_no_valid_ca_is_not_accepted() -> None:
    gateway = ex.gateway(
        listeners=[
            https(),
            https("missing", 7443, "a.example.org"),
            https("kind", 8443, "b.example.org"),
            https("grant", 6443, "c.example.org"),
        ],
        tls=frontend(
            validation(ca_ref("client-ca")),
            p7443=validation(ca_ref("no-such-config-map")),
            p8443=validation(ca_ref("backend", kind="Service")),
            p6443=validation(ca_ref("client-ca", namespace="other")),
        ),
    )
    result = run(*base(gateway))
    assert listener_status(result, "https")["Programmed"] == ("True", "Programmed")
    for name, reason in (
        ("missing", "InvalidCACertificateRef"),
        ("kind", "InvalidCACertificateKind"),
        ("grant", "RefNotPermitted"),
    ):
        status = listener_status(result, name)
        assert status["ResolvedRefs"] == ("False", reason), name
        assert status["Accepted"] == ("False", "NoValidCACertificate"), name
        assert status["Programmed"][0] == "False", name
    assert [x["name"] for x in result.routing_tables[GW]["listeners"]] == ["https"]
    assert gateway_conditions(result)["ResolvedRefs"] == ("False", "ListenersNotResolved")


def test_a_reference_grant_opens_a_ca_in_another_namespace() -> None:
    gateway = ex.gateway(
        listeners=[https()], tls=frontend(validation(ca_ref("remote-ca", namespace="other")))
    )
    grant = ex.reference_grant(
        "other",
        [{"group": GATEWAY_GROUP, "kind": "Gateway", "namespace": "infra"}],
        [{"group": "", "kind": "ConfigMap"}],
    )
    remote = ex.config_map("remote-ca", "other", {"ca.crt": CA_PEM})
    assert listener_status(run(*base(gateway, remote)), "https")["ResolvedRefs"] == (
        "False",
        "RefNotPermitted",
    )
    result = run(*base(gateway, remote, grant))
    assert listener_status(result, "https")["ResolvedRefs"] == ("True", "ResolvedRefs")


def test_one_valid_reference_keeps_the_listener_accepted() -> None:
    gateway = ex.gateway(
        listeners=[https()], tls=frontend(validation(ca_ref("client-ca"), ca_ref("absent")))
    )
    result = run(*base(gateway))
    status = listener_status(result, "https")
    assert status["ResolvedRefs"] == ("False", "InvalidCACertificateRef")
    assert status["Accepted"] == ("True", "Accepted")
    assert CA_PEM.strip() in table_listener(result, "https")["tls"]["clientValidation"]["caPem"]


def test_config_map_without_ca_crt_is_an_invalid_reference() -> None:
    empty = ex.config_map("empty-ca", "infra", {"other.pem": CA_PEM})
    gateway = ex.gateway(listeners=[https()], tls=frontend(validation(ca_ref("empty-ca"))))
    status = listener_status(run(*base(gateway, empty)), "https")
    assert status["ResolvedRefs"] == ("False", "InvalidCACertificateRef")
    assert status["Accepted"] == ("False", "NoValidCACertificate")


def test_http_listeners_ignore_frontend_validation() -> None:
    gateway = ex.gateway(
        listeners=[ex.listener(), https()],
        tls=frontend(validation(ca_ref("absent")), p80=validation(ca_ref("client-ca"))),
    )
    result = run(*base(gateway))
    assert listener_status(result, "http") == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("True", "Programmed"),
        "ResolvedRefs": ("True", "ResolvedRefs"),
        "Conflicted": ("False", "NoConflicts"),
    }
    assert table_listener(result, "http")["tls"] is None
    assert listener_status(result, "https")["Accepted"] == ("False", "NoValidCACertificate")


def test_insecure_fallback_is_reported_while_configured_and_removed_after() -> None:
    insecure = ex.gateway(
        listeners=[https(), https("second", 8443)],
        tls=frontend(
            validation(ca_ref("client-ca")),
            p8443=validation(ca_ref("client-ca"), mode="AllowInsecureFallback"),
        ),
    )
    result = run(*base(insecure))
    assert gateway_conditions(result)["InsecureFrontendValidationMode"] == (
        "True",
        "ConfigurationChanged",
    )
    assert table_listener(result, "second")["tls"]["clientValidation"]["mode"] == (
        "AllowInsecureFallback"
    )
    assert table_listener(result, "https")["tls"]["clientValidation"]["mode"] == "AllowValidOnly"
    strict = ex.gateway(
        listeners=[https(), https("second", 8443)],
        tls=frontend(validation(ca_ref("client-ca"))),
        generation=2,
    )
    strict["status"] = result.gateway_statuses[GW]
    after = run(*base(strict))
    assert "InsecureFrontendValidationMode" not in gateway_conditions(after)


def _backend_objects(client_ref: Obj, *extra: Obj) -> list[Obj]:
    ca = ex.config_map("backend-ca", "infra", {"ca.crt": CA_PEM})
    gateway = ex.gateway(tls={"backend": {"clientCertificateRef": client_ref}})
    return [
        ex.gateway_class(),
        ex.namespace("infra"),
        ex.namespace("other"),
        gateway,
        ex.http_route(),
        ex.service(ports=[{"name": "https", "port": 8080, "targetPort": 8443}]),
        ex.endpoint_slice(port=8443, port_name="https"),
        ex.backend_tls_policy(),
        ca,
        *extra,
    ]


def _table_backends(result: ComputeResult) -> list[Any]:
    listener = result.routing_tables[GW]["listeners"][0]
    return [b for r in listener["routes"] for rule in r["rules"] for b in rule["backends"]]


def test_backend_client_certificate_rides_on_every_tls_backend() -> None:
    secret = ex.tls_secret("client", "infra", CERT, KEY)
    result = run(*_backend_objects({"group": "", "kind": "Secret", "name": "client"}, secret))
    assert gateway_conditions(result)["ResolvedRefs"] == ("True", "ResolvedRefs")
    assert gateway_conditions(result)["Accepted"] == ("True", "Accepted")
    backends = _table_backends(result)
    assert backends and all(
        b["tls"]["clientCertificate"] == {"certPem": CERT, "keyPem": KEY} for b in backends
    )
    table = parse({"version": 1, **result.routing_tables[GW]})
    parsed = table.listeners[0].routes[0].rules[0].backends[0]
    assert parsed.tls is not None and parsed.tls.client_certificate is not None


def test_bad_backend_client_certificates_fail_resolved_refs_but_not_acceptance() -> None:
    no_key = ex.tls_secret("no-key", "infra", CERT, KEY)
    del no_key["data"]["tls.key"]
    cases = [
        ({"group": "", "kind": "Secret", "name": "absent"}, "InvalidClientCertificateRef"),
        (
            {"group": "wrong.example.io", "kind": "Secret", "name": "no-key"},
            "InvalidClientCertificateRef",
        ),
        ({"group": "", "kind": "WrongKind", "name": "no-key"}, "InvalidClientCertificateRef"),
        ({"group": "", "kind": "Secret", "name": "no-key"}, "InvalidClientCertificateRef"),
        (
            {"group": "", "kind": "Secret", "name": "no-key", "namespace": "other"},
            "RefNotPermitted",
        ),
    ]
    for ref, reason in cases:
        result = run(*_backend_objects(ref, no_key))
        conditions = gateway_conditions(result)
        assert conditions["ResolvedRefs"] == ("False", reason), ref
        assert conditions["Accepted"] == ("True", "Accepted"), ref
        assert all("clientCertificate" not in b["tls"] for b in _table_backends(result)), ref


def test_gateways_without_spec_tls_get_no_resolved_refs_condition() -> None:
    result = run(ex.gateway_class(), ex.namespace("infra"), ex.gateway())
    assert set(gateway_conditions(result)) == {"Accepted", "Programmed"}
