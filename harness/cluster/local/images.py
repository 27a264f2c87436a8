"""Which container images the local node agent can run, and the local command each one becomes.

The local cluster runs no container runtime: a known image is replaced by a local program.

Rule for a container of a known image: the image's entrypoint is the registry's argv, the
container's `command` is ignored (it names paths inside an image that does not exist here),
and the container's `args` are appended to the registry argv.

Images come from two places: the upstream conformance echo images (any tag or digest) run
`python -m harness.echo`; entry points in the group `gateway_harness.local_images` each name a
callable returning `{image_prefix: argv}` (the reference implementation registers its
controller and proxy this way).
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata

ENTRY_POINT_GROUP = "gateway_harness.local_images"

ECHO_IMAGE_REPOSITORIES = (
    "registry.k8s.io/gateway-api/conformance/echo-basic",
    "registry.k8s.io/gateway-api/echo-basic",
    "gcr.io/k8s-staging-gateway-api/echo-basic",
)

log = logging.getLogger(__name__)


def echo_argv() -> list[str]:
    """The project's echo server, run by the interpreter running the harness."""
    return [sys.executable, "-m", "harness.echo"]


def image_repository(image: str) -> str:
    """An image reference without its tag or digest ("repo:tag@sha256:..." -> "repo")."""
    name = image.split("@", 1)[0]
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name = name[:colon]
    return name


def _matches(image: str, prefix: str) -> bool:
    """True if `image` is `prefix` or `prefix` followed by a tag, digest or deeper path."""
    repo = image_repository(image)
    prefix_repo = prefix.rstrip("/")
    return repo == prefix_repo or repo.startswith(prefix_repo + "/") or image == prefix


@dataclasses.dataclass(frozen=True)
class ImageRegistry:
    """Maps image prefixes to the local argv that stands in for the image."""

    entries: Mapping[str, Sequence[str]]

    def argv_for(self, image: str) -> list[str] | None:
        """The local argv of `image`, or None when the image is not known (longest prefix wins)."""
        best: str | None = None
        for prefix in self.entries:
            if _matches(image, prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        return None if best is None else list(self.entries[best])

    def command_for(self, image: str, args: Sequence[str] | None) -> list[str] | None:
        """A container's command line: registry argv + its args (its `command` is ignored)."""
        argv = self.argv_for(image)
        if argv is None:
            return None
        return argv + list(args or [])

    def known_prefixes(self) -> list[str]:
        return sorted(self.entries)

    def unknown_image_message(self, image: str) -> str:
        """What a Pod's Waiting status says about an image the local cluster cannot run."""
        return (
            f"image {image!r} cannot run in the local cluster: its node agent runs only known "
            f"images as local processes (any tag of: {', '.join(self.known_prefixes())}); "
            "use one of those images, register a local command for this image through the "
            f"{ENTRY_POINT_GROUP!r} entry point group, or use a kind or existing cluster"
        )


def builtin_entries() -> dict[str, list[str]]:
    return {repo: echo_argv() for repo in ECHO_IMAGE_REPOSITORIES}


def _validated(source: str, contributed: object) -> dict[str, list[str]]:
    if not isinstance(contributed, Mapping):
        raise TypeError(
            f"local image entry point {source} returned {type(contributed).__name__}; "
            "it must return a dict of image prefix -> argv list"
        )
    result: dict[str, list[str]] = {}
    for prefix, argv in contributed.items():
        if (
            not isinstance(prefix, str)
            or not isinstance(argv, list | tuple)
            or not argv
            or not all(isinstance(a, str) for a in argv)
        ):
            raise TypeError(
                f"local image entry point {source} gave {prefix!r}: {argv!r}; "
                "each entry must map an image prefix string to a non-empty list of strings"
            )
        result[prefix] = list(argv)
    return result


def load_registry(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> ImageRegistry:
    """The built-in echo images plus every image contributed by installed entry points."""
    entries: dict[str, list[str]] = builtin_entries()
    eps = metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
    for ep in eps:
        source = f"{ep.name} = {ep.value}"
        try:
            factory: Callable[[], object] = ep.load()
            contributed = factory()
        except Exception as exc:  # a broken plugin must not stop the echo images from running
            log.error("skipping local image entry point %s: %s", source, exc)
            continue
        try:
            entries.update(_validated(source, contributed))
        except TypeError as exc:
            log.error("skipping local image entry point: %s", exc)
    return ImageRegistry(entries)
