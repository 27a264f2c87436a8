"""One probe of the echo backend's retry simulator, as upstream's assertConsistentRetryBehaviour.

The simulator (`/retry/...`) fails the first ``succeedAfter`` requests carrying one ``uuid``, so
every probe carries a fresh uuid: a convergence loop then never sees counters of earlier probes.
"""

import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from harness.conformance.http_client import HttpRequest
from harness.conformance.roundtrip import ExpectedResponse, compare_round_trip
from harness.conformance.traffic import Traffic


def retry_probe(
    traffic: Traffic, path: str, simulation: Mapping[str, str], want: tuple[int, ...]
) -> str | None:
    """One request with a fresh uuid; None when the answer is one of `want` from the backend."""
    query = urlencode({**simulation, "uuid": str(uuid.uuid4())})
    request = HttpRequest(path=f"{path}?{query}")
    expected = ExpectedResponse(
        status=want, backend="infra-backend-v3", namespace=traffic.namespace
    )
    try:
        response = traffic.send_once(request)
    except (OSError, ConnectionError) as exc:
        return f"request failed: {exc.__class__.__name__}: {exc}"
    problem = compare_round_trip(request, expected, response)
    return f"{problem}; {response.summary()}" if problem else None
