"""Translation into the routing table and the proxy objects a Gateway gets."""

from __future__ import annotations

from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import (
    ADMIN_PORT,
    GATEWAY_KEY_LABEL,
    GATEWAY_NAME_LABEL,
)
from reference_impl.controller.model import Obj, snapshot_of
from reference_impl.controller.naming import proxy_name

T0 = "2026-11-26T03:00:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")


def run(*objects: Obj) -> ComputeResult:
    return compute(snapshot_of(objects, T0), IMAGE)


def base(*extra: Obj) -> list[Obj]:
    return [ex.gateway_class(), ex.service(), ex.namespace("infra"), *extra]


def only_rule(result: ComputeResult) -> dict[str, Any]:
    routes = result.routing_tables[GW]["listeners"][0]["routes"]
    assert len(routes) == 1
    rules: list[dict[str, Any]] = routes[0]["rules"]
    assert len(rules) == 1
    return rules[0]


def test_defaults_are_filled() -> None:
    route = ex.http_route(
        rules=[
            {"backendRefs": [ex.backend_ref("backend")]},
            {"matches": [{"headers": [{"name": "version", "value": "one"}]}]},
        ]
    )
    table = run(*base(ex.gateway(), route, ex.endpoint_slice())).routing_tables[GW]
    first, second = table["listeners"][0]["routes"][0]["rules"]
    assert first["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert first["backends"][0]["weight"] == 1
    assert second["matches"] == [
        {
            "path": {"type": "PathPrefix", "value": "/"},
            "headers": [{"name": "version", "value": "one", "type": "Exact"}],
        }
    ]
    assert second["backends"] == []


def test_only_ready_endpoints_of_the_named_port() -> None:
    svc = ex.service(
        ports=[
            {"name": "http", "port": 8080, "targetPort": 3000},
            {"name": "h2c", "port": 8081, "targetPort": 3001, "appProtocol": "kubernetes.io/h2c"},
        ]
    )
    slice_ = ex.endpoint_slice(addresses=[("198.18.0.10", True), ("198.18.0.11", False)])
    slice_["ports"].append({"name": "h2c", "port": 3001})
    route = ex.http_route(
        rules=[{"backendRefs": [ex.backend_ref("backend", 8080), ex.backend_ref("backend", 8081)]}]
    )
    objects = [o for o in base(ex.gateway(), route, slice_) if o["kind"] != "Service"] + [svc]
    plain, h2c = only_rule(run(*objects))["backends"]
    assert plain["endpoints"] == [{"ip": "198.18.0.10", "port": 3000}]
    assert plain["appProtocol"] is None
    assert plain["name"] == "infra/backend:8080"
    assert h2c["endpoints"] == [{"ip": "198.18.0.10", "port": 3001}]
    assert h2c["appProtocol"] == "kubernetes.io/h2c"
    assert h2c["valid"] is True


def test_service_without_endpoints_gives_empty_list() -> None:
    backend = only_rule(run(*base(ex.gateway(), ex.http_route())))["backends"][0]
    assert backend["valid"] is True
    assert backend["endpoints"] == []


def test_mirror_backend_is_resolved_and_redirect_code_defaulted() -> None:
    route = ex.http_route(
        rules=[
            {
                "filters": [
                    {
                        "type": "RequestMirror",
                        "requestMirror": {"backendRef": ex.backend_ref("backend")},
                    }
                ],
                "backendRefs": [ex.backend_ref("backend")],
            },
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"hostname": "x.org"}}]},
        ]
    )
    table = run(*base(ex.gateway(), route, ex.endpoint_slice())).routing_tables[GW]
    mirror_rule, redirect_rule = table["listeners"][0]["routes"][0]["rules"]
    mirror = mirror_rule["filters"][0]["requestMirror"]
    assert "backendRef" not in mirror
    assert mirror["backend"]["endpoints"] == [{"ip": "198.18.0.10", "port": 3000}]
    assert redirect_rule["filters"][0]["requestRedirect"] == {
        "hostname": "x.org",
        "statusCode": 302,
    }


def test_route_spec_is_not_mutated_by_translation() -> None:
    route = ex.http_route(rules=[{"matches": [{"path": {"value": "/x"}}]}])
    run(*base(ex.gateway(), route))
    assert route["spec"]["rules"][0]["matches"] == [{"path": {"value": "/x"}}]


def test_table_is_accepted_by_the_proxy_parser() -> None:
    from reference_impl import routing_table

    cert, key = ex.self_signed_pem()
    gw = ex.gateway(
        listeners=[
            ex.listener(),
            ex.listener("https", 443, "HTTPS", tls={"certificateRefs": [{"name": "cert"}]}),
        ]
    )
    route = ex.http_route(
        hostnames=["example.org"],
        rules=[
            {
                "name": "main",
                "matches": [
                    {
                        "path": {"type": "Exact", "value": "/one"},
                        "method": "GET",
                        "queryParams": [{"name": "a", "value": "b"}],
                    }
                ],
                "filters": [
                    {
                        "type": "RequestHeaderModifier",
                        "requestHeaderModifier": {"set": [{"name": "X-A", "value": "1"}]},
                    }
                ],
                "backendRefs": [ex.backend_ref("backend", weight=3), ex.backend_ref("missing")],
                "timeouts": {"request": "10s"},
            }
        ],
    )
    result = run(*base(gw, route, ex.endpoint_slice(), ex.tls_secret("cert", "infra", cert, key)))
    document = dict(result.routing_tables[GW], version=1)
    parsed = routing_table.parse(document)
    assert [lst.name for lst in parsed.listeners] == ["http", "https"]
    assert parsed.listeners[1].tls is not None
    assert parsed.listeners[0].routes[0].hostnames == ("example.org",)


# ------------------------------------------------------------------ proxy objects


def test_proxy_objects_are_owned_labelled_and_expose_listener_ports() -> None:
    gw = ex.gateway(
        listeners=[ex.listener(), ex.listener("alt", 8080), ex.listener("bad", 9, "UDP")],
        infrastructure={"labels": {"key2": "value2"}, "annotations": {"key1": "value1"}},
    )
    proxies = run(*base(gw)).proxies[GW]
    deployment, service = proxies.deployment, proxies.service
    assert service is not None
    for obj in (deployment, service):
        meta = obj["metadata"]
        assert meta["name"] == proxy_name(GW)
        assert meta["namespace"] == "infra"
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "name": "gw",
                "uid": "uid-infra-gw",
                "controller": True,
            }
        ]
        assert meta["labels"]["key2"] == "value2"
        assert meta["labels"][GATEWAY_NAME_LABEL] == "gw"
        assert meta["annotations"]["key1"] == "value1"
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"]["key2"] == "value2"
    assert deployment["spec"]["selector"]["matchLabels"][GATEWAY_KEY_LABEL] in (
        template["metadata"]["labels"][GATEWAY_KEY_LABEL],
    )
    container = template["spec"]["containers"][0]
    assert container["image"] == IMAGE
    assert container["args"] == ["--admin-address", f"$(POD_IP):{ADMIN_PORT}"]
    assert service["spec"]["type"] == "LoadBalancer"
    assert [p["port"] for p in service["spec"]["ports"]] == [80, 8080]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_a_listener_change_leaves_the_pod_template_alone() -> None:
    """Regression: listener ports in the template rolled the proxy on every listener change,
    and the Pod swap refused connections on the listeners that stayed."""
    before = run(*base(ex.gateway(listeners=[ex.listener(), ex.listener("alt", 8080)])))
    after = run(*base(ex.gateway(listeners=[ex.listener()])))
    old, new = before.proxies[GW], after.proxies[GW]
    assert old.deployment["spec"]["template"] == new.deployment["spec"]["template"]
    assert old.service is not None and new.service is not None
    assert [p["port"] for p in new.service["spec"]["ports"]] == [80]


def test_long_gateway_name_gives_valid_object_names() -> None:
    name = "g" * 253
    gw = ex.gateway(name=name)
    proxies = run(*base(gw)).proxies[("infra", name)]
    meta = proxies.deployment["metadata"]
    assert len(meta["name"]) <= 63
    assert GATEWAY_NAME_LABEL not in meta["labels"]
    assert all(len(v) <= 63 for v in meta["labels"].values())


def test_distinct_gateways_get_distinct_names() -> None:
    assert proxy_name(("a", "gw")) != proxy_name(("b", "gw"))
    assert proxy_name(("a", "1gw"))[0].isalpha()


def test_no_proxy_objects_for_a_gateway_in_a_terminating_namespace() -> None:
    terminating = ex.namespace("infra")
    terminating["metadata"]["deletionTimestamp"] = "2026-11-26T03:00:00Z"
    terminating["status"] = {"phase": "Terminating"}
    objects = [o for o in base(ex.gateway()) if o["kind"] != "Namespace"] + [terminating]
    result = run(*objects)
    assert GW in result.gateway_statuses
    assert GW not in result.proxies
    assert GW not in result.routing_tables
