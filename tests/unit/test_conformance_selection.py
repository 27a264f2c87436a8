"""Feature resolution and per-test selection mirror upstream's suite."""

from __future__ import annotations

import pytest

from harness.conformance.catalog import Catalog
from harness.conformance.results import Outcome
from harness.conformance.selection import (
    NoSupportedFeatures,
    SelectionRules,
    decide,
    resolve_supported_features,
)

CATALOG = Catalog.load("v1.6.1")


def test_explicit_minus_exempt_plus_profile_core() -> None:
    supported, inferred = resolve_supported_features(
        CATALOG,
        supported=["Gateway", "HTTPRoute", "HTTPRouteQueryParamMatching"],
        exempt=["HTTPRouteQueryParamMatching"],
        profiles=["GATEWAY-GRPC"],
    )
    assert not inferred
    assert supported == {"Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant"}


def test_all_features_minus_exempt() -> None:
    supported, _ = resolve_supported_features(CATALOG, all_features=True, exempt=["Mesh"])
    assert supported == CATALOG.feature_names - {"Mesh"}


def test_inferred_from_gateway_class_drops_mesh_and_unknown() -> None:
    supported, inferred = resolve_supported_features(
        CATALOG, inferred=["Gateway", "HTTPRoute", "MeshClusterIPMatching", "FutureThing"]
    )
    assert inferred
    assert supported == {"Gateway", "HTTPRoute"}


def test_inference_needs_something() -> None:
    with pytest.raises(NoSupportedFeatures, match="no supported features were determined"):
        resolve_supported_features(CATALOG, inferred=["Mesh"])


def test_run_test_disables_inference() -> None:
    supported, inferred = resolve_supported_features(CATALOG, run_test="X", inferred=["Gateway"])
    assert not inferred and supported == frozenset()


def test_unknown_names_raise() -> None:
    with pytest.raises(ValueError, match="'Teleport'"):
        resolve_supported_features(CATALOG, supported=["Teleport"])
    with pytest.raises(ValueError, match="'GATEWAY-FTP'"):
        resolve_supported_features(CATALOG, all_features=True, profiles=["GATEWAY-FTP"])


RULES = SelectionRules(frozenset({"Gateway", "HTTPRoute"}), frozenset({"Skipped"}))


@pytest.mark.parametrize(
    ("name", "features", "provisional", "rules", "outcome", "reason"),
    [
        ("A", {"Gateway"}, False, RULES, None, ""),
        (
            "A",
            {"Gateway", "TLSRoute"},
            False,
            RULES,
            Outcome.NOT_SUPPORTED,
            "unsupported feature TLSRoute",
        ),
        ("A", {"X1", "X2"}, False, RULES, Outcome.NOT_SUPPORTED, "unsupported features X1, X2"),
        ("Skipped", {"Gateway"}, False, RULES, Outcome.SKIPPED, "skipped by --skip-tests"),
        # Missing features win over the skip list, as upstream classifies.
        (
            "Skipped",
            {"TLSRoute"},
            False,
            RULES,
            Outcome.NOT_SUPPORTED,
            "unsupported feature TLSRoute",
        ),
        ("P", {"Gateway"}, True, RULES, None, ""),
        (
            "P",
            {"Gateway"},
            True,
            SelectionRules(frozenset({"Gateway"}), skip_provisional=True),
            Outcome.PROVISIONAL_SKIPPED,
            "provisional",
        ),
        ("Only", {"TLSRoute"}, False, SelectionRules(frozenset(), run_test="Only"), None, ""),
        (
            "Other",
            set(),
            False,
            SelectionRules(frozenset(), run_test="Only"),
            Outcome.SKIPPED,
            "only --run-test Only",
        ),
    ],
)
def test_decide(
    name: str,
    features: set[str],
    provisional: bool,
    rules: SelectionRules,
    outcome: Outcome | None,
    reason: str,
) -> None:
    decision = decide(name, features, provisional, rules)
    assert decision.outcome is outcome
    assert reason in decision.reason
    assert decision.runs is (outcome is None)
