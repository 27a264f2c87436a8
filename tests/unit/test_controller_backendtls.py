"""BackendTLSPolicy: validation, conflicts, ancestor status and the Backend.tls of the table."""

from __future__ import annotations

import base64

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import CONTROLLER_NAME, GATEWAY_GROUP
from reference_impl.controller.features import FULL_SUPPORT, PROXY_SUPPORT, DataPlaneSupport
from reference_impl.controller.model import Obj, snapshot_of

T0, T1 = "2026-11-26T03:00:00Z", "2026-11-26T03:10:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")
POLICY = ("infra", "backend-tls")
CA, _ = ex.self_signed_pem("ca.example.com")
HTTPS_PORT = {"name": "https", "port": 8443, "targetPort": 8443}
PLAIN_PORT = {"name": "http", "port": 8080, "targetPort": 3000}
FOREIGN = {
    "ancestorRef": {"group": GATEWAY_GROUP, "kind": "Gateway", "namespace": "infra", "name": "gw"},
    "controllerName": "example.com/other",
    "conditions": [],
}

HTTP_ONLY = DataPlaneSupport(
    route_kinds=frozenset({"HTTPRoute"}), tls_listener_modes=frozenset(), backend_tls=False
)
"""A data plane that serves HTTPRoute only (the proxy before GRPCRoute/TLSRoute/backend TLS)."""


def run(*objects: Obj, support: DataPlaneSupport = FULL_SUPPORT, now: str = T0) -> ComputeResult:
    return compute(snapshot_of(objects, now, data_plane=support), IMAGE)


def base(*extra: Obj, route: Obj | None = None) -> list[Obj]:
    return [
        ex.gateway_class(),
        ex.namespace("infra"),
        ex.gateway(),
        ex.service(ports=[HTTPS_PORT, PLAIN_PORT]),
        ex.endpoint_slice(port=8443, port_name="https"),
        route or ex.http_route(rules=[{"backendRefs": [ex.backend_ref("backend", 8443)]}]),
        *extra,
    ]


def ca_map(pem: str = CA, name: str = "backend-ca") -> Obj:
    return ex.config_map(name, "infra", {"ca.crt": pem})


def has(conditions: list[Obj], type_: str, status: str, reason: str) -> bool:
    found = [c for c in conditions if c["type"] == type_]
    assert len(found) == 1, conditions
    return bool(found[0]["status"] == status and found[0]["reason"] == reason)


def ancestor(result: ComputeResult, policy: tuple[str, str] = POLICY) -> Obj:
    ours = [
        a
        for a in result.backend_tls_policy_statuses[policy]["ancestors"]
        if a["controllerName"] == CONTROLLER_NAME
    ]
    assert len(ours) == 1, ours
    only: Obj = ours[0]
    return only


def http_backend(result: ComputeResult) -> Obj:
    (route,) = result.routing_tables[GW]["listeners"][0]["routes"]
    backend: Obj = route["rules"][0]["backends"][0]
    return backend


# ------------------------------------------------------------------ valid policies


def test_valid_policy_is_accepted_on_the_gateway_and_sets_backend_tls() -> None:
    sans = [
        {"type": "Hostname", "hostname": "abc.example.com"},
        {"type": "URI", "uri": "spiffe://x"},
    ]
    policy = ex.backend_tls_policy(subjectAltNames=sans)
    result = run(*base(policy, ca_map()))
    entry = ancestor(result)
    assert entry["ancestorRef"] == {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        "namespace": "infra",
        "name": "gw",
    }
    assert has(entry["conditions"], "Accepted", "True", "Accepted")
    assert has(entry["conditions"], "ResolvedRefs", "True", "ResolvedRefs")
    backend = http_backend(result)
    assert backend["valid"] is True
    assert backend["tls"] == {
        "caPem": CA,
        "wellKnownCACertificates": None,
        "hostname": "abc.example.com",
        "subjectAltNames": sans,
    }


def test_ca_from_a_secret_is_accepted() -> None:
    secret = ex.tls_secret("ca-secret", "infra", CA, "unused")
    secret["data"]["ca.crt"] = base64.b64encode(CA.encode()).decode()
    policy = ex.backend_tls_policy(ca_refs=[{"group": "", "kind": "Secret", "name": "ca-secret"}])
    result = run(*base(policy, secret))
    assert has(ancestor(result)["conditions"], "Accepted", "True", "Accepted")
    assert http_backend(result)["tls"]["caPem"] == CA


def test_well_known_system_cas_need_no_reference() -> None:
    policy = ex.backend_tls_policy(ca_refs=[], wellKnownCACertificates="System")
    result = run(*base(policy))
    assert has(ancestor(result)["conditions"], "Accepted", "True", "Accepted")
    tls = http_backend(result)["tls"]
    assert (tls["caPem"], tls["wellKnownCACertificates"]) == (None, "System")
    odd = ex.backend_tls_policy(ca_refs=[], wellKnownCACertificates="Everything")
    rejected = run(*base(odd))
    assert has(ancestor(rejected)["conditions"], "Accepted", "False", "Invalid")
    assert http_backend(rejected)["valid"] is False


def test_grpc_backends_get_tls_too() -> None:
    route = ex.grpc_route(rules=[{"backendRefs": [ex.backend_ref("backend", 8443)]}])
    result = run(*base(ex.backend_tls_policy(), ca_map(), route=route))
    (entry,) = result.routing_tables[GW]["listeners"][0]["routes"]
    assert entry["kind"] == "GRPCRoute"
    assert entry["rules"][0]["backends"][0]["tls"]["hostname"] == "abc.example.com"
    assert has(ancestor(result)["conditions"], "Accepted", "True", "Accepted")


# ------------------------------------------------------------------ invalid CA references


def test_missing_config_map_means_no_valid_ca_and_no_plaintext() -> None:
    result = run(*base(ex.backend_tls_policy()))
    conditions = ancestor(result)["conditions"]
    assert has(conditions, "Accepted", "False", "NoValidCACertificate")
    assert has(conditions, "ResolvedRefs", "False", "InvalidCACertificateRef")
    backend = http_backend(result)
    assert backend["valid"] is False
    assert "tls" not in backend
    fixed = run(*base(ex.backend_tls_policy(), ca_map()))
    assert has(ancestor(fixed)["conditions"], "Accepted", "True", "Accepted")


def test_config_map_without_certificate_is_an_invalid_ref() -> None:
    for data in ({"other": CA}, {"ca.crt": ""}, {"ca.crt": "not a certificate"}):
        result = run(*base(ex.backend_tls_policy(), ex.config_map("backend-ca", "infra", data)))
        conditions = ancestor(result)["conditions"]
        assert has(conditions, "Accepted", "False", "NoValidCACertificate"), data
        assert has(conditions, "ResolvedRefs", "False", "InvalidCACertificateRef"), data


def test_unsupported_ca_kind_is_invalid_kind() -> None:
    policy = ex.backend_tls_policy(
        ca_refs=[{"group": "example.com", "kind": "Bundle", "name": "b"}]
    )
    conditions = ancestor(run(*base(policy)))["conditions"]
    assert has(conditions, "Accepted", "False", "NoValidCACertificate")
    assert has(conditions, "ResolvedRefs", "False", "InvalidKind")


def test_one_valid_ca_among_invalid_ones_keeps_policy_accepted() -> None:
    refs = [
        {"group": "", "kind": "ConfigMap", "name": "gone"},
        {"group": "", "kind": "ConfigMap", "name": "backend-ca"},
    ]
    result = run(*base(ex.backend_tls_policy(ca_refs=refs), ca_map()))
    conditions = ancestor(result)["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    assert has(conditions, "ResolvedRefs", "False", "InvalidCACertificateRef")
    assert http_backend(result)["tls"]["caPem"] == CA


# ------------------------------------------------------------------ targets and conflicts


def test_missing_target_service_is_target_not_found() -> None:
    route = ex.http_route(rules=[{"backendRefs": [ex.backend_ref("ghost", 8443)]}])
    policy = ex.backend_tls_policy(service_name="ghost")
    result = run(*base(policy, ca_map(), route=route))
    assert has(ancestor(result)["conditions"], "Accepted", "False", "TargetNotFound")


def test_older_policy_wins_the_same_target() -> None:
    old = ex.backend_tls_policy("old", created="2026-11-25T00:00:00Z", hostname="old.example.com")
    new = ex.backend_tls_policy("new", created="2026-11-26T00:00:00Z")
    result = run(*base(old, new, ca_map()))
    assert has(ancestor(result, ("infra", "old"))["conditions"], "Accepted", "True", "Accepted")
    assert has(ancestor(result, ("infra", "new"))["conditions"], "Accepted", "False", "Conflicted")
    assert http_backend(result)["tls"]["hostname"] == "old.example.com"


def test_name_breaks_a_creation_time_tie() -> None:
    a = ex.backend_tls_policy("a-policy", hostname="a.example.com")
    b = ex.backend_tls_policy("b-policy")
    result = run(*base(b, a, ca_map()))
    assert has(
        ancestor(result, ("infra", "b-policy"))["conditions"], "Accepted", "False", "Conflicted"
    )
    assert http_backend(result)["tls"]["hostname"] == "a.example.com"


def test_section_policy_and_whole_service_policy_are_both_accepted() -> None:
    whole = ex.backend_tls_policy("whole", created="2026-11-25T00:00:00Z", hostname="whole.io")
    section = ex.backend_tls_policy("section", section="https", hostname="section.io")
    result = run(*base(whole, section, ca_map()))
    for name in ("whole", "section"):
        conditions = ancestor(result, ("infra", name))["conditions"]
        assert has(conditions, "Accepted", "True", "Accepted"), name
    assert http_backend(result)["tls"]["hostname"] == "section.io"


def test_policy_for_another_port_leaves_backend_plaintext() -> None:
    policy = ex.backend_tls_policy(section="http")
    result = run(*base(policy, ca_map()))
    backend = http_backend(result)
    assert backend["valid"] is True
    assert "tls" not in backend


def test_section_naming_no_port_is_target_not_found() -> None:
    result = run(*base(ex.backend_tls_policy(section="nope"), ca_map()))
    assert has(ancestor(result)["conditions"], "Accepted", "False", "TargetNotFound")
    assert "tls" not in http_backend(result)


# ------------------------------------------------------------------ ancestors and status merge


def test_unused_service_gets_no_ancestor_and_stale_entries_are_removed() -> None:
    route = ex.http_route(rules=[{"backendRefs": [ex.backend_ref("other", 8080)]}])
    assert (
        POLICY
        not in run(
            *base(ex.backend_tls_policy(), ca_map(), route=route)
        ).backend_tls_policy_statuses
    )
    stale = ex.backend_tls_policy()
    ours = {**FOREIGN, "controllerName": CONTROLLER_NAME}
    stale["status"] = {"ancestors": [FOREIGN, ours]}
    result = run(*base(stale, ca_map(), route=route))
    assert result.backend_tls_policy_statuses[POLICY]["ancestors"] == [FOREIGN]


def test_foreign_ancestors_are_kept_and_generation_is_observed() -> None:
    policy = ex.backend_tls_policy(generation=4)
    policy["status"] = {"ancestors": [FOREIGN]}
    result = run(*base(policy, ca_map()))
    ancestors = result.backend_tls_policy_statuses[POLICY]["ancestors"]
    assert ancestors[0] == FOREIGN
    assert all(c["observedGeneration"] == 4 for c in ancestor(result)["conditions"])


def test_last_transition_time_changes_only_with_status() -> None:
    policy = ex.backend_tls_policy()
    first = run(*base(policy, ca_map()))
    policy["status"] = first.backend_tls_policy_statuses[POLICY]
    same = run(*base(policy, ca_map()), now=T1)
    assert all(c["lastTransitionTime"] == T0 for c in ancestor(same)["conditions"])
    broken = run(*base(policy), now=T1)
    accepted = next(c for c in ancestor(broken)["conditions"] if c["type"] == "Accepted")
    assert accepted["lastTransitionTime"] == T1


# ------------------------------------------------------------------ data plane switch


def test_proxy_without_backend_tls_makes_policy_invalid_and_backend_fail() -> None:
    result = run(*base(ex.backend_tls_policy(), ca_map()), support=HTTP_ONLY)
    conditions = ancestor(result)["conditions"]
    assert has(conditions, "Accepted", "False", "Invalid")
    assert has(conditions, "ResolvedRefs", "True", "ResolvedRefs")
    backend = http_backend(result)
    assert backend["valid"] is False
    assert "tls" not in backend
    features = {f["name"] for f in result.gateway_class_statuses["reference"]["supportedFeatures"]}
    assert "BackendTLSPolicy" not in features


def test_todays_proxy_still_reports_a_missing_ca_precisely() -> None:
    conditions = ancestor(run(*base(ex.backend_tls_policy()), support=PROXY_SUPPORT))["conditions"]
    assert has(conditions, "Accepted", "False", "NoValidCACertificate")


def test_passthrough_tls_routes_ignore_policies_terminate_ones_reencrypt() -> None:
    cert, key = ex.self_signed_pem("tls.example.com")
    gw = ex.gateway(
        listeners=[
            ex.tls_listener("pass", 443, hostname="abc.example.com"),
            ex.tls_listener("term", 8443, "Terminate", hostname="tls.example.com", secret="cert"),
        ]
    )
    route = ex.tls_route(
        hostnames=["abc.example.com", "tls.example.com"],
        backend_refs=[ex.backend_ref("backend", 8443)],
    )
    objects = base(ex.backend_tls_policy(), ca_map(), ex.tls_secret("cert", "infra", cert, key))
    objects[2] = gw
    objects[5] = route
    result = run(*objects)
    listeners = {lst["name"]: lst for lst in result.routing_tables[GW]["listeners"]}
    (passthrough,) = listeners["pass"]["routes"][0]["backends"]
    (terminate,) = listeners["term"]["routes"][0]["backends"]
    assert "tls" not in passthrough and passthrough["valid"] is True
    assert terminate["tls"]["hostname"] == "abc.example.com"


def test_policy_losing_one_target_still_applies_where_it_wins() -> None:
    other = ex.service("other", ports=[HTTPS_PORT])
    old = ex.backend_tls_policy("old", created="2026-11-25T00:00:00Z", hostname="old.io")
    both = ex.backend_tls_policy("both", hostname="both.io")
    both["spec"]["targetRefs"].append({"group": "", "kind": "Service", "name": "other"})
    route = ex.http_route(
        rules=[
            {"backendRefs": [ex.backend_ref("backend", 8443)]},
            {"backendRefs": [ex.backend_ref("other", 8443)]},
        ]
    )
    result = run(*base(old, both, other, ca_map(), route=route))
    assert has(ancestor(result, ("infra", "both"))["conditions"], "Accepted", "False", "Conflicted")
    (entry,) = result.routing_tables[GW]["listeners"][0]["routes"]
    first, second = (rule["backends"][0] for rule in entry["rules"])
    assert first["tls"]["hostname"] == "old.io"
    assert second["tls"]["hostname"] == "both.io"


# ------------------------------------------------------------------ appProtocol HTTPS
# Regression: upstream's BackendTLSPolicy tests use Services whose port says appProtocol
# HTTPS; such a backend was rejected as UnsupportedProtocol.

HTTPS_APP_PORT = {**HTTPS_PORT, "appProtocol": "HTTPS"}


def https_app_base(*extra: Obj) -> list[Obj]:
    return [
        ex.gateway_class(),
        ex.namespace("infra"),
        ex.gateway(),
        ex.service(ports=[HTTPS_APP_PORT]),
        ex.endpoint_slice(port=8443, port_name="https"),
        ex.http_route(rules=[{"backendRefs": [ex.backend_ref("backend", 8443)]}]),
        *extra,
    ]


def route_conditions(result: ComputeResult) -> list[Obj]:
    (parent,) = next(iter(result.http_route_statuses.values()))["parents"]
    conditions: list[Obj] = parent["conditions"]
    return conditions


def test_https_app_protocol_with_a_policy_resolves_and_dials_tls() -> None:
    result = run(*https_app_base(ex.backend_tls_policy(), ca_map()))
    assert has(route_conditions(result), "ResolvedRefs", "True", "ResolvedRefs")
    backend = http_backend(result)
    assert backend["valid"] is True
    assert backend["tls"]["caPem"] == CA


def test_https_app_protocol_without_a_policy_is_never_sent_plaintext() -> None:
    result = run(*https_app_base())
    backend = http_backend(result)
    assert backend["valid"] is False
    assert "tls" not in backend


def test_https_app_protocol_without_backend_tls_support_is_unsupported() -> None:
    result = run(*https_app_base(ex.backend_tls_policy(), ca_map()), support=HTTP_ONLY)
    assert has(route_conditions(result), "ResolvedRefs", "False", "UnsupportedProtocol")
