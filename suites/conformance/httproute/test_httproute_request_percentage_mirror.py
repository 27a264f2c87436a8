"""HTTPRouteRequestPercentageMirror: the mirror backend sees the configured share of requests.

As upstream: 500 requests per check (10 at a time) share one unique path; the
count of that path's log lines at the mirror must lie within 3 binomial standard
deviations of 500 * p; up to 5 checks.
"""

import concurrent.futures
import dataclasses
import math
import time

from kubernetes import client

from harness.conformance.mirror import LOG_LINE
from harness.conformance.roundtrip import ExpectedResponse
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import PendingRequest, Traffic, unique_path

MIRROR = "infra-backend-v2"
TOTAL_REQUESTS = 500
CONCURRENCY = 10
CHECKS = 5
TOLERANCE_STDDEVS = 3.0

SENT = {"X-Header-Remove": "remove-val", "X-Header-Add-Append": "append-val-1"}
SEEN = {
    "X-Header-Add": "header-val-1",
    "X-Header-Add-Append": "append-val-1,header-val-2",
    "X-Header-Set": "set-overwrites-values",
}
# (path, mirrored share, headers sent, headers infra-backend-v1 must see, must not see)
CASES: list[tuple[str, float, dict[str, str], dict[str, str], list[str]]] = [
    ("/percent-mirror", 0.20, {}, {}, []),
    ("/percent-mirror-fraction", 0.50, {}, {}, []),
    ("/percent-mirror-and-modify-headers", 0.35, SENT, SEEN, ["X-Header-Remove"]),
]


def mirrored_count(api: client.ApiClient, namespace: str, path: str, since_seconds: int) -> int:
    """Log lines for ``path`` over all pods of the mirror Deployment (pods/log API)."""
    core = client.CoreV1Api(api)
    needle = LOG_LINE.format(path=path)
    total = 0
    for pod in core.list_namespaced_pod(namespace, label_selector=f"app={MIRROR}").items:
        name = str(pod.metadata.name) if pod.metadata else ""
        text = core.read_namespaced_pod_log(name, namespace, since_seconds=max(1, since_seconds))
        total += sum(1 for line in (text or "").splitlines() if needle in line)
    return total


def settled_count(api: client.ApiClient, namespace: str, path: str, started: float) -> int:
    """The mirrored count once two reads a second apart agree (mirrors are asynchronous)."""
    last = -1
    for _ in range(10):
        count = mirrored_count(api, namespace, path, int(time.monotonic() - started) + 2)
        if count == last:
            return count
        last = count
        time.sleep(1.0)
    return last


def send_all(request: PendingRequest, expected: ExpectedResponse) -> None:
    """TOTAL_REQUESTS answers as ``expected``, CONCURRENCY at a time."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        list(pool.map(lambda _: request.expect(expected), range(TOTAL_REQUESTS)))


def band(share: float) -> tuple[float, float]:
    """The accepted range of mirrored requests out of TOTAL_REQUESTS."""
    mean = TOTAL_REQUESTS * share
    margin = TOLERANCE_STDDEVS * math.sqrt(TOTAL_REQUESTS * share * (1 - share))
    return mean - margin, mean + margin


@scenario(
    "HTTPRouteRequestPercentageMirror",
    features={"Gateway", "HTTPRoute", "HTTPRouteRequestPercentageMirror"},
    manifest="test_httproute_request_percentage_mirror.yaml",
    provisional=True,
)
def test_httproute_request_percentage_mirror(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("request-percentage-mirror")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Like upstream, each request of a check is eventually consistent on its own.
    single = dataclasses.replace(
        traffic, timeouts=dataclasses.replace(traffic.timeouts, RequiredConsecutiveSuccesses=1)
    )
    for path, share, sent, seen, absent in CASES:
        expected = ExpectedResponse(
            backend="infra-backend-v1",
            namespace=gateway.namespace,
            request_headers=seen,
            absent_request_headers=absent,
        )
        traffic.get(path, headers=sent).expect(expected)
        low, high = band(share)
        problems: list[str] = []
        for _ in range(CHECKS):
            request = single.get(unique_path(path), headers=sent)
            started = time.monotonic()
            send_all(request, expected)
            count = settled_count(gateway.api, gateway.namespace, request.request.path, started)
            if low <= count <= high:
                break
            problems.append(f"{count} mirrored (accepted {low:.1f}..{high:.1f})")
            time.sleep(2.0)
        else:
            raise AssertionError(
                f"{path}: the share mirrored to {MIRROR} was not {share:.0%} of "
                f"{TOTAL_REQUESTS} in {CHECKS} checks: {'; '.join(problems)}"
            )
