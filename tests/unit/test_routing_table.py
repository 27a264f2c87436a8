"""Parsing and validation of the controller→proxy routing table."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reference_impl.routing_table import parse, parse_duration


def _doc() -> dict[str, Any]:
    return {
        "version": 3,
        "gateway": {"namespace": "gw-ns", "name": "gw"},
        "listeners": [
            {
                "name": "http",
                "port": 8080,
                "protocol": "HTTP",
                "hostname": None,
                "tls": None,
                "routes": [
                    {
                        "kind": "HTTPRoute",
                        "namespace": "ns",
                        "name": "r1",
                        "creationTimestamp": "2026-01-01T00:00:00Z",
                        "hostnames": ["Foo.Example.com"],
                        "rules": [
                            {
                                "index": 0,
                                "name": None,
                                "matches": [
                                    {
                                        "path": {"type": "RegularExpression", "value": "/v[0-9]+"},
                                        "headers": [
                                            {"name": "Version", "value": "one"},
                                            {"name": "version", "value": "ignored"},
                                        ],
                                    }
                                ],
                                "filters": [
                                    {
                                        "type": "RequestMirror",
                                        "requestMirror": {
                                            "fraction": {"numerator": 25, "denominator": 50},
                                            "backend": {
                                                "name": "ns/mirror:80",
                                                "weight": 1,
                                                "valid": True,
                                                "appProtocol": None,
                                                "endpoints": [{"ip": "127.0.0.1", "port": 9}],
                                                "filters": [],
                                            },
                                        },
                                    }
                                ],
                                "backends": [
                                    {
                                        "name": "ns/svc:80",
                                        "weight": 1,
                                        "valid": True,
                                        "appProtocol": "kubernetes.io/h2c",
                                        "endpoints": [{"ip": "127.0.0.1", "port": 9}],
                                        "filters": [],
                                    }
                                ],
                                "timeouts": {"request": "1s500ms", "backendRequest": "0s"},
                                "retry": {"codes": [500, 503], "attempts": 2, "backoff": "100ms"},
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_parses_a_full_document() -> None:
    table = parse(_doc())
    assert table.version == 3
    assert (table.gateway_namespace, table.gateway_name) == ("gw-ns", "gw")
    route = table.listeners[0].routes[0]
    assert route.hostnames == ("foo.example.com",)
    rule = route.rules[0]
    match = rule.matches[0]
    assert match.path.regex is not None and match.path.regex.fullmatch("/v12")
    # duplicate header names: only the first entry counts
    assert [(h.name, h.value) for h in match.headers] == [("version", "one")]
    mirror = rule.filters[0].request_mirror
    assert mirror is not None and (mirror.numerator, mirror.denominator) == (25, 50)
    assert rule.timeouts is not None and rule.timeouts.request == 1.5
    assert rule.timeouts.backend_request == 0.0
    assert rule.retry is not None and rule.retry.codes == {500, 503}
    assert rule.retry.backoff == pytest.approx(0.1)
    assert rule.backends[0].app_protocol == "kubernetes.io/h2c"


def test_rule_without_matches_gets_the_default_prefix() -> None:
    doc = _doc()
    doc["listeners"][0]["routes"][0]["rules"][0]["matches"] = []
    match = parse(doc).listeners[0].routes[0].rules[0].matches[0]
    assert (match.path.type, match.path.value) == ("PathPrefix", "/")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("version"), "table.version"),
        (lambda d: d["listeners"][0].update(port=70000), "table.listeners[0].port"),
        (lambda d: d["listeners"][0].update(protocol="UDP"), "table.listeners[0].protocol"),
        (
            lambda d: d["listeners"][0]["routes"][0]["rules"][0]["matches"][0]["path"].update(
                value="(["
            ),
            "table.listeners[0].routes[0].rules[0].matches[0].path.value",
        ),
        (
            lambda d: d["listeners"][0]["routes"][0]["rules"][0]["timeouts"].update(request="1x"),
            "table.listeners[0].routes[0].rules[0].timeouts.request",
        ),
        (
            lambda d: d["listeners"][0]["routes"][0]["rules"][0]["retry"].update(codes=[200]),
            "table.listeners[0].routes[0].rules[0].retry.codes[0]",
        ),
        (
            lambda d: d["listeners"][0]["routes"][0]["rules"][0]["backends"][0].update(valid="yes"),
            "table.listeners[0].routes[0].rules[0].backends[0].valid",
        ),
        (
            lambda d: d["listeners"][0]["routes"][0]["rules"][0]["filters"].append(
                {"type": "Nope"}
            ),
            "table.listeners[0].routes[0].rules[0].filters[1].type",
        ),
        (
            lambda d: d["listeners"][0]["routes"][0].update(creationTimestamp="yesterday"),
            "table.listeners[0].routes[0].creationTimestamp",
        ),
        (
            lambda d: d["listeners"][0].update(protocol="HTTPS"),
            "table.listeners[0].tls",
        ),
        (
            lambda d: d["listeners"].append(copy.deepcopy(d["listeners"][0])),
            "table.listeners[1]",
        ),
    ],
)
def test_bad_fields_are_named(mutate: Any, field: str) -> None:
    doc = _doc()
    mutate(doc)
    with pytest.raises(ValueError) as err:
        parse(doc)
    assert str(err.value).startswith(field), str(err.value)


def test_redirect_with_backends_is_rejected() -> None:
    doc = _doc()
    doc["listeners"][0]["routes"][0]["rules"][0]["filters"] = [
        {"type": "RequestRedirect", "requestRedirect": {"statusCode": 301}}
    ]
    with pytest.raises(ValueError, match="RequestRedirect cannot be used with backends"):
        parse(doc)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0s", 0.0), ("500ms", 0.5), ("1h30m", 5400.0), ("1s500ms", 1.5), ("2m", 120.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "0", "1.5s", "1d", "123456s", "1s1s1s1s1s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="x: "):
        parse_duration(text, "x")
