"""Pure logic of the echo server that must match Go: durations, header keys, paths, JSON, env."""

from __future__ import annotations

import pytest

from harness.echo import EchoConfig, EchoConfigError, EchoMode
from harness.echo.go_duration import parse_go_duration
from harness.echo.go_http import canonical_header_key, clean_path, go_json_string


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("0", 0),
        ("1s", 1_000_000_000),
        ("1.5s", 1_500_000_000),
        ("300ms", 300_000_000),
        ("1h2m3s", 3_723_000_000_000),
        ("-2us", -2_000),
        ("+.5m", 30_000_000_000),
        ("10\u00b5s", 10_000),
    ],
)
def test_parse_go_duration(text: str, nanos: int) -> None:
    assert parse_go_duration(text) == nanos


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("abc", 'time: invalid duration "abc"'),
        ("10", 'time: missing unit in duration "10"'),
        ("3x", 'time: unknown unit "x" in duration "3x"'),
        (".s", 'time: invalid duration ".s"'),
    ],
)
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_go_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("x-forwarded-for", "X-Forwarded-For"),
        ("CONTENT-TYPE", "Content-Type"),
        ("x_under_score", "X_under_score"),
        ("www-authenticate", "Www-Authenticate"),
        ("bad header", "bad header"),
    ],
)
def test_canonical_header_key(raw: str, canonical: str) -> None:
    assert canonical_header_key(raw) == canonical


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [("/a/./b/../c", "/a/c"), ("/a/b/", "/a/b/"), ("", "/"), ("/..", "/"), ("a", "/a")],
)
def test_clean_path(path: str, cleaned: str) -> None:
    assert clean_path(path) == cleaned


def test_go_json_string_is_html_safe_and_keeps_utf8() -> None:
    assert go_json_string('<a href="x">&</a> é') == (
        '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e é"'
    )


def test_config_from_env_defaults_and_modes() -> None:
    config = EchoConfig.from_env({})
    assert (config.mode, config.http_port, config.h2c_port, config.https_port) == (
        EchoMode.HTTP,
        "3000",
        "3001",
        "8443",
    )
    assert not config.tls_enabled
    # HTTP mode reads TLS_SERVER_PRIVKEY; gRPC reads TLS_SERVER_PRIV_KEY.
    env = {"TLS_SERVER_CERT": "c.pem", "TLS_SERVER_PRIVKEY": "k.pem"}
    assert EchoConfig.from_env(env).tls_enabled
    assert not EchoConfig.from_env({**env, "GRPC_ECHO_SERVER": "1"}).tls_enabled
    grpc_env = {"GRPC_ECHO_SERVER": "1", "TLS_SERVER_CERT": "c", "TLS_SERVER_PRIV_KEY": "k"}
    assert EchoConfig.from_env(grpc_env).tls_enabled
    assert EchoConfig.from_env({"TCP_ECHO_SERVER": "yes"}).mode is EchoMode.TCP


def test_config_rejects_a_bad_port_naming_the_variable() -> None:
    with pytest.raises(EchoConfigError, match=r"HTTP_PORT='http'.*integer"):
        EchoConfig.from_env({"HTTP_PORT": "http"})


def test_remote_address_spells_ipv4_mapped_peers_as_go_does() -> None:
    from harness.echo.http1 import remote_address

    class Transport:
        def __init__(self, peer: tuple[str, int]) -> None:
            self.peer = peer

        def get_extra_info(self, name: str) -> tuple[str, int]:
            return self.peer

    assert remote_address(Transport(("::ffff:198.19.32.1", 5000))) == "198.19.32.1:5000"  # type: ignore[arg-type]
    assert remote_address(Transport(("fd00::1", 5000))) == "[fd00::1]:5000"  # type: ignore[arg-type]
    assert remote_address(Transport(("10.1.2.3", 80))) == "10.1.2.3:80"  # type: ignore[arg-type]
