"""The local image registry: which images run, and the command line each becomes."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from harness.cluster.local.images import (
    ECHO_IMAGE_REPOSITORIES,
    ImageRegistry,
    image_repository,
    load_registry,
)


class _EntryPoint:
    """Stands in for importlib.metadata.EntryPoint: a name, a value and what load() returns."""

    def __init__(self, name: str, loaded: Any) -> None:
        self.name, self.value, self._loaded = name, f"plugin:{name}", loaded

    def load(self) -> Any:
        if isinstance(self._loaded, Exception):
            raise self._loaded
        return self._loaded


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("registry.k8s.io/gateway-api/echo-basic:v1.5.1", "registry.k8s.io/gateway-api/echo-basic"),
        ("localhost:5000/proxy:dev", "localhost:5000/proxy"),
        ("localhost:5000/proxy", "localhost:5000/proxy"),
        ("gcr.io/x/y@sha256:abcd", "gcr.io/x/y"),
        ("gcr.io/x/y:v1@sha256:abcd", "gcr.io/x/y"),
    ],
)
def test_image_repository_strips_tag_and_digest(image: str, repository: str) -> None:
    assert image_repository(image) == repository


@pytest.mark.parametrize("repository", ECHO_IMAGE_REPOSITORIES)
@pytest.mark.parametrize("suffix", ["", ":v0.1.0", ":latest", "@sha256:0123"])
def test_every_echo_image_tag_runs_the_project_echo_server(repository: str, suffix: str) -> None:
    registry = load_registry(entry_points=[])
    assert registry.argv_for(repository + suffix) == [sys.executable, "-m", "harness.echo"]


def test_unknown_and_look_alike_images_are_not_known() -> None:
    registry = load_registry(entry_points=[])
    assert registry.argv_for("docker.io/library/nginx:1.27") is None
    assert registry.argv_for("registry.k8s.io/gateway-api/echo-basic-evil:v1") is None
    assert registry.argv_for("registry.k8s.io/coredns/coredns:v1.14.6") is None


def test_command_is_ignored_and_args_are_appended() -> None:
    registry = ImageRegistry({"example.com/proxy": ["/usr/bin/proxy", "--fast"]})
    assert registry.command_for("example.com/proxy:v2", ["--port", "80"]) == [
        "/usr/bin/proxy",
        "--fast",
        "--port",
        "80",
    ]
    assert registry.command_for("example.com/other:v2", ["x"]) is None


def test_longest_prefix_wins() -> None:
    registry = ImageRegistry({"example.com/a": ["a"], "example.com/a/b": ["b"]})
    assert registry.argv_for("example.com/a/b:1") == ["b"]
    assert registry.argv_for("example.com/a/c:1") == ["a"]
    assert registry.argv_for("example.com/a:1") == ["a"]


def test_entry_points_add_images_and_broken_ones_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = load_registry(
        entry_points=[
            _EntryPoint("good", lambda: {"gateway-harness/reference-proxy": ["py", "-m", "proxy"]}),
            _EntryPoint("raises", RuntimeError("boom")),
            _EntryPoint("bad-shape", lambda: {"x/y": "not a list"}),
        ]
    )
    assert registry.argv_for("gateway-harness/reference-proxy:dev") == ["py", "-m", "proxy"]
    assert registry.argv_for("x/y:1") is None
    assert registry.argv_for(ECHO_IMAGE_REPOSITORIES[0] + ":v0.1.0") is not None
    assert "raises" in caplog.text and "bad-shape" in caplog.text


def test_unknown_image_message_names_the_image_and_the_known_ones() -> None:
    registry = load_registry(entry_points=[])
    message = registry.unknown_image_message("nginx:1.27")
    assert "'nginx:1.27' cannot run in the local cluster" in message
    for repository in ECHO_IMAGE_REPOSITORIES:
        assert repository in message
