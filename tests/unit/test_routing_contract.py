"""Contract check: tables the controller computes are accepted by the proxy's parser as meant."""

from __future__ import annotations

import random
from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import compute
from reference_impl.controller.model import Obj, snapshot_of
from reference_impl.proxy.plan import Forward, IncomingRequest, Respond, plan
from reference_impl.proxy.routing import CompiledTable
from reference_impl.routing_table import RoutingTable, parse

GW = ("infra", "gw")


def table_for(*objects: Obj) -> RoutingTable:
    base = [ex.gateway_class(), ex.service(), ex.namespace("infra"), ex.endpoint_slice()]
    result = compute(snapshot_of([*base, *objects], "2026-11-26T03:00:00Z"), "image:test")
    doc: dict[str, Any] = {"version": 7, **result.routing_tables[GW]}
    return parse(doc)


def test_filters_timeouts_and_mirrors_survive_the_contract() -> None:
    rules = [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/app"}}],
            "backendRefs": [ex.backend_ref("backend")],
            "filters": [
                {
                    "type": "RequestHeaderModifier",
                    "requestHeaderModifier": {"set": [{"name": "X-A", "value": "1"}]},
                },
                {
                    "type": "RequestMirror",
                    "requestMirror": {
                        "backendRef": {"name": "backend", "port": 8080},
                        "percent": 100,
                    },
                },
            ],
            "timeouts": {"request": "1s"},
        },
        {
            "matches": [{"path": {"type": "Exact", "value": "/away"}}],
            "filters": [
                {"type": "RequestRedirect", "requestRedirect": {"hostname": "example.org"}}
            ],
        },
    ]
    table = table_for(ex.gateway(), ex.http_route(rules=rules))
    assert table.version == 7
    compiled = CompiledTable(table)
    forward = plan(compiled, IncomingRequest("GET", "/app/x", "h", [], 80), random.Random(1))
    assert isinstance(forward, Forward)
    assert forward.backend.endpoints and dict(forward.headers)["X-A"] == "1"
    assert forward.timeouts is not None and forward.timeouts.request == 1.0
    assert [m.backend.name for m in forward.mirrors] == [forward.backend.name]
    redirect = plan(compiled, IncomingRequest("GET", "/away", "h", [], 80), random.Random(1))
    assert isinstance(redirect, Respond) and redirect.status == 302
    assert dict(redirect.headers)["Location"] == "http://example.org/away"


def test_https_listener_certificates_survive_the_contract() -> None:
    cert, key = ex.self_signed_pem("example.org")
    gateway = ex.gateway(
        listeners=[
            ex.listener(
                "https",
                443,
                "HTTPS",
                "example.org",
                tls={"mode": "Terminate", "certificateRefs": [{"name": "cert"}]},
            )
        ]
    )
    table = table_for(gateway, ex.tls_secret("cert", "infra", cert, key), ex.http_route())
    (listener,) = table.listeners
    assert listener.protocol == "HTTPS" and listener.hostname == "example.org"
    assert (
        listener.tls is not None and listener.tls.certificates[0].cert_pem.strip() == cert.strip()
    )
