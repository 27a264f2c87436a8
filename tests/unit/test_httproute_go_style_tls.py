"""Go-style server name matching used by the HTTPS HTTPRoute scenarios."""

import pytest

from suites.conformance.httproute.go_style_tls import go_name_matches, subject_dns_names


@pytest.mark.parametrize(
    ("pattern", "host"),
    [
        ("*.org", "example.org"),
        ("*.org", "second-example.org"),
        ("*.wildcard.org", "third-example.wildcard.org"),
        ("example.org", "EXAMPLE.org"),
        ("example.org.", "example.org"),
    ],
)
def test_names_go_accepts(pattern: str, host: str) -> None:
    assert go_name_matches(pattern, host)


@pytest.mark.parametrize(
    ("pattern", "host"),
    [
        ("*", "example.org"),  # a bare "*" is one label
        ("*.org", "a.b.org"),  # the wildcard covers exactly one label
        ("*.org", "org"),
        ("*.wildcard.org", "example.org"),
        ("ex*.org", "example.org"),  # partial-label wildcards are not wildcards
        ("example.org", "second-example.org"),
        ("*.org", ""),
    ],
)
def test_names_go_refuses(pattern: str, host: str) -> None:
    assert not go_name_matches(pattern, host)


def test_subject_dns_names_keeps_only_dns_entries() -> None:
    peer = {"subjectAltName": (("DNS", "*"), ("IP Address", "198.18.0.1"), ("DNS", "*.org"))}
    assert subject_dns_names(peer) == ["*", "*.org"]
    assert subject_dns_names({}) == []
