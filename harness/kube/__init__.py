"""Kubernetes helpers shared by suites and benchmarks: connect, apply, delete, watch-based waits."""

from harness.kube.apply import (
    AppliedObject,
    ManifestError,
    apply_manifest,
    create_missing,
    parse_manifest,
)
from harness.kube.client import ClusterUnreachable, connect
from harness.kube.delete import delete_and_wait, delete_labelled
from harness.kube.patch import get_object, merge_patch, read_config_map, read_secret
from harness.kube.resources import ObjectRef, resolve_kind
from harness.kube.waiting import Expectation, WaitTimeout, wait_for, wait_for_list

__all__ = [
    "AppliedObject",
    "ClusterUnreachable",
    "Expectation",
    "ManifestError",
    "ObjectRef",
    "WaitTimeout",
    "apply_manifest",
    "connect",
    "create_missing",
    "delete_and_wait",
    "delete_labelled",
    "get_object",
    "merge_patch",
    "parse_manifest",
    "read_config_map",
    "read_secret",
    "resolve_kind",
    "wait_for",
    "wait_for_list",
]
