"""Watch-based waits: list once, then watch from that resourceVersion, re-list on 410 Gone."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.kube.resources import ObjectRef, resolve_kind

Obj = dict[str, Any]
T = TypeVar("T")


@runtime_checkable
class Expectation(Protocol):
    """Something an object should come to satisfy, that can say why it does not yet."""

    def describe(self) -> str:
        """What is expected, in the words of the spec."""
        ...

    def mismatch(self, obj: Obj | None) -> str | None:
        """None when ``obj`` satisfies the expectation, else what is wrong with it."""
        ...


class _CallableExpectation:
    def __init__(self, predicate: Callable[[Obj | None], bool], text: str) -> None:
        self._predicate = predicate
        self._text = text

    def describe(self) -> str:
        return self._text

    def mismatch(self, obj: Obj | None) -> str | None:
        return None if self._predicate(obj) else "the predicate returned False"


class WaitTimeout(AssertionError):
    """An object did not reach the expected state in time; says what, what was seen, where."""


def status_yaml(obj: Obj | None) -> str:
    """The object's status (and generation) as indented YAML for failure messages."""
    if obj is None:
        return "    <the object does not exist>"
    seen = {
        "generation": obj.get("metadata", {}).get("generation"),
        "status": obj.get("status", {}),
    }
    text = yaml.safe_dump(seen, sort_keys=False, default_flow_style=False)
    return "\n".join("    " + line for line in text.splitlines())


def wait_for(
    api: client.ApiClient,
    kind: str,
    namespace: str,
    name: str,
    predicate: Expectation | Callable[[Obj | None], bool],
    timeout: float,
    *,
    stable_for: float = 0.0,
) -> Obj | None:
    """Wait until one object satisfies ``predicate``; returns the object (None if absent).

    ``predicate`` sees None while the object does not exist. ``stable_for`` asks
    that the match holds that many seconds without a change contradicting it.
    Raises WaitTimeout with the expectation, the last mismatch, the status seen
    and a kubectl command to look further.
    """
    expectation = (
        predicate
        if isinstance(predicate, Expectation)
        else _CallableExpectation(predicate, getattr(predicate, "__name__", "predicate"))
    )
    resource = resolve_kind(api, kind)
    ref = ObjectRef(
        resource.group_version, resource.kind, namespace if resource.namespaced else "", name
    )

    last: dict[str, Any] = {"obj": None, "why": "no state seen yet"}

    def evaluate(items: Mapping[str, Obj]) -> tuple[bool, Obj | None]:
        obj = items.get(name)
        why = expectation.mismatch(obj)
        last["obj"], last["why"] = obj, why
        return why is None, obj

    try:
        return _watch_until(
            resource,
            ref.namespace or None,
            f"metadata.name={name}",
            None,
            evaluate,
            timeout,
            stable_for,
        )
    except TimeoutError:
        raise WaitTimeout(
            f"{ref} did not reach the expected state within {timeout:g}s.\n"
            f"  expected: {expectation.describe()}\n"
            f"  mismatch: {last['why']}\n"
            f"  seen:\n{status_yaml(last['obj'])}\n"
            f"  look: {ref.kubectl_hint()}"
        ) from None


def wait_for_list(
    api: client.ApiClient,
    kind: str,
    namespace: str | None,
    check: Callable[[Mapping[str, Obj]], tuple[bool, str]],
    timeout: float,
    *,
    label_selector: str | None = None,
    field_selector: str | None = None,
    stable_for: float = 0.0,
) -> Mapping[str, Obj]:
    """Wait until the set of matching objects (name → object) passes ``check``.

    ``check`` returns (ok, explanation); the explanation of the last miss goes
    into the WaitTimeout message.
    """
    resource = resolve_kind(api, kind)
    last: dict[str, Any] = {"why": "no state seen yet", "items": {}}

    def evaluate(items: Mapping[str, Obj]) -> tuple[bool, Mapping[str, Obj]]:
        ok, why = check(items)
        last["why"], last["items"] = why, dict(items)
        return ok, dict(items)

    try:
        return _watch_until(
            resource, namespace, field_selector, label_selector, evaluate, timeout, stable_for
        )
    except TimeoutError:
        where = f" in namespace {namespace}" if namespace else ""
        selector = f" matching {label_selector}" if label_selector else ""
        raise WaitTimeout(
            f"{resource.kind} objects{where}{selector} did not reach the expected state "
            f"within {timeout:g}s: {last['why']} (seen: {sorted(last['items'])})"
        ) from None


def _watch_until(
    resource: Any,
    namespace: str | None,
    field_selector: str | None,
    label_selector: str | None,
    evaluate: Callable[[Mapping[str, Obj]], tuple[bool, T]],
    timeout: float,
    stable_for: float,
) -> T:
    deadline = time.monotonic() + timeout
    while True:  # one pass per (re-)list
        listed = resource.get(
            namespace=namespace, field_selector=field_selector, label_selector=label_selector
        ).to_dict()
        items: dict[str, Obj] = {
            item["metadata"]["name"]: _with_type(item, resource) for item in listed.get("items", [])
        }
        version = listed["metadata"]["resourceVersion"]
        ok, value = evaluate(items)
        ok_since = time.monotonic() if ok else None
        if ok and stable_for <= 0:
            return value
        relist = False
        while not relist:
            now = time.monotonic()
            if ok_since is not None and now - ok_since >= stable_for:
                return value
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError
            window = (
                remaining if ok_since is None else min(remaining, stable_for - (now - ok_since))
            )
            try:
                for event in resource.watch(
                    namespace=namespace,
                    field_selector=field_selector,
                    label_selector=label_selector,
                    resource_version=version,
                    timeout=max(1, math.ceil(window)),
                    allow_watch_bookmarks=True,
                ):
                    raw = event["raw_object"]
                    version = raw.get("metadata", {}).get("resourceVersion", version)
                    if event["type"] == "BOOKMARK":
                        continue
                    name = raw["metadata"]["name"]
                    if event["type"] == "DELETED":
                        items.pop(name, None)
                    else:
                        items[name] = raw
                    ok, value = evaluate(items)
                    if not ok:
                        ok_since = None
                    elif ok_since is None:
                        ok_since = time.monotonic()
                    if ok and stable_for <= 0:
                        return value
                    if ok_since is not None and time.monotonic() - ok_since >= stable_for:
                        return value
                    if time.monotonic() >= deadline:
                        break
            except ApiException as exc:
                if exc.status != 410:
                    raise
                relist = True  # our resourceVersion is too old: start again from a list


def _with_type(item: Obj, resource: Any) -> Obj:
    # List items carry no apiVersion/kind; add them so matchers see whole objects.
    item.setdefault("apiVersion", resource.group_version)
    item.setdefault("kind", resource.kind)
    return item
