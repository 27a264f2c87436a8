"""LoadSpec validation: bad input fails with a message naming the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load import DistributedSettings, LoadMode, LoadSpec, TlsSettings, run_load
from harness.load.worker_messages import plans_for, request_headers, split_connections

URL = "http://127.0.0.1:8080/path?q=1"


@pytest.mark.parametrize(
    ("kwargs", "field", "fix"),
    [
        ({"duration_s": 0, "connections": 1}, "duration_s", "run length"),
        ({"duration_s": -3, "connections": 1}, "duration_s", "run length"),
        ({"duration_s": 1, "mode": LoadMode.OPEN, "rate": 0}, "rate", "target rate"),
        ({"duration_s": 1, "mode": LoadMode.OPEN, "rate": -5}, "rate", "target rate"),
        ({"duration_s": 1, "mode": LoadMode.OPEN}, "rate", "target rate"),
        ({"duration_s": 1, "connections": 0}, "connections", "at least 1"),
        ({"duration_s": 1, "connections": -2}, "connections", "at least 1"),
        ({"duration_s": 1}, "connections", "number of connections"),
        ({"duration_s": 1, "connections": 1, "rate": 10}, "rate", "LoadMode.OPEN"),
        ({"duration_s": 1, "connections": 1, "workers": 0}, "workers", "at least 1"),
        ({"duration_s": 1, "connections": 1, "timeout_s": 0}, "timeout_s", "positive"),
        ({"duration_s": 1, "connections": 1, "method": "G ET"}, "method", "GET"),
        ({"duration_s": 1, "connections": 1, "headers": {"X": "a\r\nb"}}, "headers", "CR"),
        (
            {"duration_s": 1, "connections": 1, "expect_status": frozenset({99})},
            "expect_status",
            "100",
        ),
    ],
)
def test_bad_numbers_name_the_field_and_the_fix(
    kwargs: dict[str, object], field: str, fix: str
) -> None:
    with pytest.raises(ValueError) as caught:
        LoadSpec(url=URL, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert f"LoadSpec.{field}" in message
    assert fix in message


@pytest.mark.parametrize(
    "url", ["127.0.0.1:80/", "ftp://127.0.0.1/", "http:///x", "http://h:port/"]
)
def test_bad_url_is_rejected(url: str) -> None:
    with pytest.raises(ValueError, match=r"LoadSpec\.url"):
        LoadSpec(url=url, duration_s=1, connections=1)


def test_missing_ca_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"LoadSpec\.tls\.ca_file.*existing PEM"):
        LoadSpec(
            url="https://127.0.0.1/",
            duration_s=1,
            connections=1,
            tls=TlsSettings(ca_file=tmp_path / "absent.pem"),
        )


def test_derived_request_parts() -> None:
    spec = LoadSpec(
        url="https://127.0.0.1/a/b?x=y", duration_s=1, connections=3, host_header="h.example"
    )
    assert spec.target_port == 443
    assert spec.request_target == "/a/b?x=y"
    assert spec.sni_name == "h.example"  # SNI follows the Host override unless told otherwise
    assert LoadSpec(url="http://127.0.0.1", duration_s=1, connections=1).request_target == "/"


def test_workers_never_exceed_connections() -> None:
    spec = LoadSpec(url=URL, duration_s=1, connections=1, workers=4)
    assert spec.effective_workers == 1
    assert [plan.users for plan in plans_for(spec)] == [1]


def test_connections_are_spread_over_workers() -> None:
    assert split_connections(10, 3) == [4, 3, 3]
    spec = LoadSpec(url=URL, duration_s=1, connections=5, workers=2)
    plans = plans_for(spec)
    assert [plan.users for plan in plans] == [3, 2]
    assert [plan.worker_index for plan in plans] == [0, 1]


def test_headers_apply_host_override_and_connection_close() -> None:
    spec = LoadSpec(
        url=URL,
        duration_s=1,
        connections=1,
        keepalive=False,
        host_header="gw.example",
        headers={"X-Test": "1"},
    )
    assert request_headers(spec) == {"X-Test": "1", "Host": "gw.example", "Connection": "close"}
    explicit = LoadSpec(
        url=URL, duration_s=1, connections=1, host_header="a", headers={"host": "b"}
    )
    assert request_headers(explicit) == {"host": "b"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"expect_workers": 0}, "expect_workers"),
        ({"expect_workers": 2, "bind_port": 70000}, "bind_port"),
        ({"expect_workers": 2, "join_timeout_s": 0}, "join_timeout_s"),
    ],
)
def test_bad_distributed_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"DistributedSettings\.{field}"):
        DistributedSettings(**kwargs)  # type: ignore[arg-type]


def test_distributed_run_needs_a_connection_per_remote_worker() -> None:
    spec = LoadSpec(url=URL, duration_s=1, connections=1)
    with pytest.raises(ValueError, match=r"LoadSpec\.connections.*one connection per remote"):
        run_load(spec, distributed=DistributedSettings(expect_workers=3))
