"""Find mirrored requests in backend pod logs through the pods/log API."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kubernetes import client

from harness.conformance.timeouts import TimeoutConfig

LOG_LINE = "Echoing back request made to {path} to client"


def pods_that_logged(
    api: client.ApiClient,
    namespace: str,
    app: str,
    path: str,
    since_seconds: int,
) -> list[str]:
    """Names of pods labelled ``app=<app>`` whose log shows the echo line for ``path``."""
    core = client.CoreV1Api(api)
    needle = LOG_LINE.format(path=path)
    found: list[str] = []
    for pod in core.list_namespaced_pod(namespace, label_selector=f"app={app}").items:
        name = str(pod.metadata.name) if pod.metadata else ""
        text = core.read_namespaced_pod_log(name, namespace, since_seconds=max(1, since_seconds))
        if needle in (text or ""):
            found.append(name)
    return found


def must_see_mirrored(
    api: client.ApiClient,
    namespace: str,
    mirror_backends: Sequence[str],
    path: str,
    timeouts: TimeoutConfig,
    *,
    poll: float = 1.0,
) -> None:
    """Every mirror backend logs the request within RequestTimeout (polled each second).

    The log window reaches back MaxTimeToConsistency, like upstream.
    """
    window = int(timeouts.MaxTimeToConsistency) + 1
    deadline = time.monotonic() + timeouts.RequestTimeout
    missing = list(mirror_backends)
    while True:
        missing = [b for b in missing if not pods_that_logged(api, namespace, b, path, window)]
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"mirrored request {path!r} not found in the logs of {missing} "
                f"(namespace {namespace}, looked for {LOG_LINE.format(path=path)!r}); "
                f"look: kubectl logs -n {namespace} -l app={missing[0]}"
            )
        time.sleep(poll)
