"""Which features a run supports and whether each test runs (upstream's Suite.Run rules)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from harness.conformance.catalog import Catalog
from harness.conformance.results import Outcome

MESH_FEATURE_PREFIX = "Mesh"


class NoSupportedFeatures(ValueError):
    """Feature inference found nothing to test."""


def resolve_supported_features(
    catalog: Catalog,
    *,
    supported: Iterable[str] = (),
    exempt: Iterable[str] = (),
    all_features: bool = False,
    run_test: str = "",
    profiles: Iterable[str] = (),
    inferred: Iterable[str] | None = None,
) -> tuple[frozenset[str], bool]:
    """(supported features, whether they were inferred from the GatewayClass).

    As upstream: explicit list minus exempt; ``all_features`` = every feature
    minus exempt; with no feature option and no ``run_test`` the features come
    from the GatewayClass's ``status.supportedFeatures`` (mesh names dropped).
    Each selected profile then adds its core features. Unknown names raise.
    """
    given = catalog.check_features(supported)
    exempted = catalog.check_features(exempt)
    chosen_profiles = catalog.check_profiles(profiles)
    infer = not (given or exempted or all_features or run_test)
    if all_features:
        result = catalog.feature_names - exempted
    elif infer:
        if inferred is None:
            raise NoSupportedFeatures(
                "no feature option given and no GatewayClass status to infer from"
            )
        known = catalog.feature_names
        result = frozenset(
            f for f in inferred if f in known and not f.startswith(MESH_FEATURE_PREFIX)
        )
        if not result:
            raise NoSupportedFeatures(
                "no supported features were determined: the GatewayClass lists none in "
                "status.supportedFeatures; pass --supported-features, --all-features or --profiles"
            )
    else:
        result = given - exempted
    for profile in chosen_profiles:
        result |= profile.core
    return result, infer


@dataclasses.dataclass(frozen=True)
class SelectionRules:
    """The options that decide whether a test runs."""

    supported: frozenset[str]
    skip_tests: frozenset[str] = frozenset()
    run_test: str = ""
    skip_provisional: bool = False


@dataclasses.dataclass(frozen=True)
class Decision:
    """Run the test (``outcome`` None) or not, and why not."""

    outcome: Outcome | None
    reason: str = ""

    @property
    def runs(self) -> bool:
        return self.outcome is None


def decide(
    short_name: str, features: Iterable[str], provisional: bool, rules: SelectionRules
) -> Decision:
    """Whether one test runs; mirrors upstream's ConformanceTest.Run and Suite.Run."""
    if rules.run_test and short_name == rules.run_test:
        return Decision(None)  # --run-test bypasses feature gating for its test
    missing = sorted(set(features) - rules.supported)
    if missing:
        names = ", ".join(missing)
        plural = "s" if len(missing) > 1 else ""
        return Decision(Outcome.NOT_SUPPORTED, f"unsupported feature{plural} {names}")
    if rules.run_test:
        return Decision(Outcome.SKIPPED, f"skipped: only --run-test {rules.run_test} runs")
    if short_name in rules.skip_tests:
        return Decision(Outcome.SKIPPED, "skipped by --skip-tests")
    if provisional and rules.skip_provisional:
        return Decision(Outcome.PROVISIONAL_SKIPPED, "provisional test skipped")
    return Decision(None)
