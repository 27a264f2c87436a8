"""Typed loader for the per-version catalogue files in ``data/``."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

CHANNELS = ("standard", "experimental")


class ProfileLevel(enum.StrEnum):
    """Where a test counts inside a profile."""

    CORE = "core"
    EXTENDED = "extended"


@dataclasses.dataclass(frozen=True)
class Feature:
    """One Gateway API feature as upstream names it."""

    name: str
    channel: str
    group: str


@dataclasses.dataclass(frozen=True)
class TestSpec:
    """One upstream conformance test: what it needs and what it applies."""

    __test__ = False  # not a pytest test class

    short_name: str
    group: str
    features: frozenset[str]
    manifests: tuple[str, ...]
    provisional: bool = False
    parallel: bool = False


@dataclasses.dataclass(frozen=True)
class Profile:
    """A conformance profile: its core and extended feature sets."""

    name: str
    core: frozenset[str]
    extended: frozenset[str]

    def covers(self, features: Iterable[str]) -> bool:
        """Upstream rule: a test counts in a profile iff all its features are core or extended."""
        allowed = self.core | self.extended
        return all(f in allowed for f in features)

    def level_of(self, features: Iterable[str]) -> ProfileLevel | None:
        """Core, extended (any feature outside core) or None when the profile does not cover it."""
        feats = frozenset(features)
        if not self.covers(feats):
            return None
        return ProfileLevel.CORE if feats <= self.core else ProfileLevel.EXTENDED


def _choices(kind: str, given: str, valid: Iterable[str]) -> ValueError:
    listed = ", ".join(sorted(valid))
    return ValueError(f"unknown {kind} {given!r}; valid {kind}s: {listed}")


def _read_data(name: str) -> Any:
    text = resources.files("harness.conformance.catalog").joinpath("data", name).read_text()
    return yaml.safe_load(text)


def _index() -> dict[str, Any]:
    data = _read_data("index.yaml")
    assert isinstance(data, dict)
    return data


def available_versions() -> list[str]:
    """Every version (and alias) a catalogue exists for; ``vX.Y.x`` stands for any patch."""
    index = _index()
    minors = [f"{minor}.x" for minor in index.get("minors", {})]
    return sorted([*index["versions"], *index.get("aliases", {}), *minors])


_PATCH = re.compile(r"^(v\d+\.\d+)\.\d+$")


def default_version() -> str:
    """The Gateway API version the project uses when none is named."""
    return str(_index()["default"])


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Features, profiles and tests of one Gateway API version."""

    version: str
    source: str
    features: Mapping[str, Feature]
    profiles: Mapping[str, Profile]
    tests: Mapping[str, TestSpec]
    timeout_defaults: Mapping[str, str]
    images: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, version: str | None = None) -> Catalog:
        """The catalogue of ``version`` (default: the project's default version)."""
        wanted = version or default_version()
        index = _index()
        aliases: dict[str, str] = index.get("aliases", {})
        files: dict[str, str] = index["versions"]
        resolved = aliases.get(wanted, wanted)
        if resolved in files:
            return _load_file(files[resolved])
        patch = _PATCH.match(wanted)
        minors: dict[str, str] = index.get("minors", {})
        if patch and patch.group(1) in minors:
            return _as_patch(files[minors[patch.group(1)]], wanted)
        raise _choices("Gateway API version", wanted, available_versions())

    @property
    def feature_names(self) -> frozenset[str]:
        return frozenset(self.features)

    def feature(self, name: str) -> Feature:
        if name not in self.features:
            raise _choices("feature", name, self.features)
        return self.features[name]

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            raise _choices("profile", name, self.profiles)
        return self.profiles[name]

    def test(self, short_name: str) -> TestSpec:
        if short_name not in self.tests:
            raise _choices("test", short_name, self.tests)
        return self.tests[short_name]

    def check_features(self, names: Iterable[str]) -> frozenset[str]:
        """The names as a set; ValueError naming the first unknown one."""
        result = frozenset(names)
        for name in sorted(result):
            self.feature(name)
        return result

    def check_profiles(self, names: Iterable[str]) -> list[Profile]:
        """The named profiles; ValueError naming the first unknown one."""
        return [self.profile(n) for n in names]

    def profiles_of(self, features: Iterable[str]) -> dict[str, ProfileLevel]:
        """Profile name → level for every profile that counts a test with these features."""
        feats = frozenset(features)
        result: dict[str, ProfileLevel] = {}
        for profile in self.profiles.values():
            level = profile.level_of(feats)
            if level is not None:
                result[profile.name] = level
        return result

    def features_of_channel(self, channel: str) -> frozenset[str]:
        if channel not in CHANNELS:
            raise _choices("channel", channel, CHANNELS)
        return frozenset(f.name for f in self.features.values() if f.channel == channel)


@cache
def _as_patch(file_name: str, version: str) -> Catalog:
    base = _load_file(file_name)
    source = f"{base.source} (catalogue of {base.version}, used for patch release {version})"
    return dataclasses.replace(base, version=version, source=source)


@cache
def _load_file(file_name: str) -> Catalog:
    return _parse(_read_data(file_name), file_name)


def _parse(data: dict[str, Any], file_name: str) -> Catalog:
    features: dict[str, Feature] = {}
    for entry in data["features"]:
        feature = Feature(entry["name"], entry["channel"], entry["group"])
        if feature.channel not in CHANNELS:
            raise ValueError(f"{file_name}: feature {feature.name} has channel {feature.channel!r}")
        features[feature.name] = feature

    def known(names: Iterable[str], where: str) -> frozenset[str]:
        result = frozenset(names)
        unknown = sorted(result - features.keys())
        if unknown:
            raise ValueError(f"{file_name}: {where} names unknown features {unknown}")
        return result

    profiles = {
        p["name"]: Profile(p["name"], known(p["core"], p["name"]), known(p["extended"], p["name"]))
        for p in data["profiles"]
    }
    tests = {
        t["shortName"]: TestSpec(
            short_name=t["shortName"],
            group=t["group"],
            features=known(t["features"], t["shortName"]),
            manifests=tuple(t.get("manifests", [])),
            provisional=bool(t.get("provisional", False)),
            parallel=bool(t.get("parallel", False)),
        )
        for t in data["tests"]
    }
    return Catalog(
        version=str(data["gatewayAPIVersion"]),
        source=str(data.get("source", "")),
        features=features,
        profiles=profiles,
        tests=tests,
        timeout_defaults=dict(data.get("timeoutDefaults", {})),
        images=dict(data.get("images", {})),
    )
