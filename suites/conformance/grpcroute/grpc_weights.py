"""Weighted-distribution check for gRPC calls (the framework has one only for HTTP)."""

from __future__ import annotations

import collections
import concurrent.futures
from collections.abc import Mapping

import grpc

from harness.conformance.consistency import NotConsistent
from harness.conformance.grpc_traffic import call_once
from harness.conformance.roundtrip import backend_of_pod
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import distribution_problem

# Upstream's weight helper: 500 calls, 10 at a time, ±5 %, up to 10 tries.
TOTAL_CALLS = 500
CONCURRENCY = 10
TOLERANCE = 0.05
MAX_TRIES = 10


def grpc_distribution(
    address: str, method: str, timeouts: TimeoutConfig, count: int = TOTAL_CALLS
) -> dict[str, int]:
    """Deployment → calls answered, over ``count`` calls (each on a fresh channel)."""

    def one(index: int) -> str:
        reply = call_once(address, method, timeout=timeouts.RequestTimeout)
        if reply.code != grpc.StatusCode.OK or not reply.pod:
            raise AssertionError(f"weighted call {index}: {reply.summary()}")
        return backend_of_pod(reply.pod)

    with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        return dict(collections.Counter(pool.map(one, range(count))))


def weight_problem(seen: Mapping[str, int], weights: Mapping[str, float]) -> str | None:
    """None when the shares match ``weights`` within tolerance and weight-0 backends got nothing."""
    total = sum(weights.values())
    wanted = {name: w / total for name, w in weights.items()}
    idle = sorted(name for name, w in weights.items() if w == 0 and seen.get(name, 0))
    if idle:
        # Upstream counts the backends that answered: a weight-0 one answering fails.
        return f"weight-0 backends answered: {idle} in {dict(seen)}"
    return distribution_problem(seen, wanted, TOLERANCE)


def must_be_distributed(
    address: str, method: str, weights: Mapping[str, float], timeouts: TimeoutConfig
) -> dict[str, int]:
    """Calls spread over backends as ``weights`` say, in one of ``MAX_TRIES`` samples."""
    if sum(weights.values()) <= 0:
        raise ValueError("weights must add up to more than zero")
    problem = "no sample taken"
    for _ in range(MAX_TRIES):
        try:
            seen = grpc_distribution(address, method, timeouts)
        except AssertionError as exc:
            problem = str(exc)
            continue
        found = weight_problem(seen, weights)
        if found is None:
            return seen
        problem = found
    raise NotConsistent(
        f"gRPC {method} calls to {address} were not distributed as {dict(weights)} "
        f"(±{TOLERANCE}) in {MAX_TRIES} samples of {TOTAL_CALLS}: {problem}"
    )
