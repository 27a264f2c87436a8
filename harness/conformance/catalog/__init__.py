"""Gateway API features, conformance profiles and the upstream test catalogue, per version."""

from harness.conformance.catalog.loader import (
    Catalog,
    Feature,
    Profile,
    ProfileLevel,
    TestSpec,
    available_versions,
    default_version,
)

__all__ = [
    "Catalog",
    "Feature",
    "Profile",
    "ProfileLevel",
    "TestSpec",
    "available_versions",
    "default_version",
]
