"""The conformance catalogue: data loads, profile membership follows upstream's rule."""

from __future__ import annotations

import pytest

from harness.conformance.catalog import Catalog, ProfileLevel, available_versions, default_version


def counts(catalog: Catalog, profile: str) -> tuple[int, int]:
    levels = [catalog.profiles_of(t.features).get(profile) for t in catalog.tests.values()]
    return levels.count(ProfileLevel.CORE), levels.count(ProfileLevel.EXTENDED)


def test_default_version_is_v1_6_and_loads() -> None:
    assert default_version().startswith("v1.6.")
    catalog = Catalog.load()
    assert catalog.version == default_version()
    assert len(catalog.tests) == 153
    assert len(catalog.features) == 58


def test_patch_release_uses_the_minor_catalogue_under_its_own_version() -> None:
    catalog = Catalog.load("v1.6.7")
    assert catalog.version == "v1.6.7"
    assert catalog.tests == Catalog.load("v1.6.1").tests
    assert "v1.6.1" in catalog.source
    assert "v1.6.x" in available_versions()
    with pytest.raises(ValueError, match=r"'v1\.7\.0'"):
        Catalog.load("v1.7.0")


def test_alias_resolves_to_the_patch_release() -> None:
    assert Catalog.load("v1.6") is Catalog.load("v1.6.1")
    assert "v1.6" in available_versions()


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("GATEWAY-HTTP", (38, 61)),
        ("GATEWAY-TLS", (21, 16)),
        ("GATEWAY-TCP", (20, 10)),
        ("GATEWAY-UDP", (21, 10)),
        ("GATEWAY-GRPC", (16, 11)),
        ("MESH-HTTP", (7, 7)),
        ("MESH-GRPC", (3, 0)),
    ],
)
def test_main_profile_counts_match_upstream(profile: str, expected: tuple[int, int]) -> None:
    assert counts(Catalog.load("main"), profile) == expected


def test_v1_6_1_core_counts_match_published_reports() -> None:
    catalog = Catalog.load("v1.6.1")
    assert counts(catalog, "GATEWAY-HTTP") == (37, 57)
    assert counts(catalog, "GATEWAY-TLS")[0] == 20
    assert counts(catalog, "GATEWAY-GRPC")[0] == 15


def test_tests_in_no_profile() -> None:
    catalog = Catalog.load("main")
    orphans = {n for n, t in catalog.tests.items() if not catalog.profiles_of(t.features)}
    assert {"HTTPRouteDisallowedKind", "GRPCRouteNamedRule", "MeshPorts"} <= orphans
    assert len(orphans) == 10


def test_extended_iff_any_feature_outside_core() -> None:
    catalog = Catalog.load("v1.6.1")
    http = catalog.profile("GATEWAY-HTTP")
    assert http.level_of({"Gateway", "HTTPRoute"}) is ProfileLevel.CORE
    assert http.level_of({"Gateway", "HTTPRoute", "GatewayPort8080"}) is ProfileLevel.EXTENDED
    assert http.level_of({"Gateway", "TLSRoute"}) is None
    # TCPRoute is listed as extended in GATEWAY-TCP yet also core there: core wins.
    assert catalog.profiles_of({"Gateway", "TCPRoute"})["GATEWAY-TCP"] is ProfileLevel.CORE


def test_test_spec_fields() -> None:
    spec = Catalog.load("v1.6.1").test("HTTPRoute303Redirect")
    assert spec.provisional
    assert spec.features == {"Gateway", "HTTPRoute", "HTTPRoute303RedirectStatusCode"}
    assert spec.manifests == ("httproute-303-redirect.yaml",)
    assert Catalog.load("v1.6.1").test("GatewayInvalidRouteKind").parallel


def test_version_specific_content() -> None:
    assert "GatewayNameMaximumLength" not in Catalog.load("v1.6.1").tests
    assert "GatewayNameMaximumLength" in Catalog.load("main").tests
    assert Catalog.load("v1.6.1").timeout_defaults["DeleteTimeout"] == "10s"


def test_channels() -> None:
    catalog = Catalog.load("v1.6.1")
    assert "HTTPRouteRetry" in catalog.features_of_channel("experimental")
    assert "HTTPRoute" in catalog.features_of_channel("standard")


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: Catalog.load("v9.9.9"), "'v9.9.9'"),
        (lambda: Catalog.load().feature("HTTPRouteTeleport"), "'HTTPRouteTeleport'"),
        (lambda: Catalog.load().profile("GATEWAY-FTP"), "'GATEWAY-FTP'"),
        (lambda: Catalog.load().check_features(["Gateway", "Nope"]), "'Nope'"),
        (lambda: Catalog.load().test("NoSuchTest"), "'NoSuchTest'"),
    ],
)
def test_unknown_names_raise_value_error_listing_valid_ones(call: object, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        call()  # type: ignore[operator]
    message = str(info.value)
    assert needle in message
    assert "valid" in message
    # The valid list is really there: at least one real name appears.
    assert any(n in message for n in ("v1.6.1", "HTTPRoute", "GATEWAY-HTTP", "Gateway"))
