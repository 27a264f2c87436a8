"""The load engine: locust worker processes, open or closed loop, HDR latency in microseconds.

Example::

    from harness.load import LoadMode, LoadSpec, run_load

    result = run_load(LoadSpec(url="http://198.18.0.10/", mode=LoadMode.OPEN,
                               rate=2000, connections=64, duration_s=30))
    result.latency.p99_us          # from each request's intended send time
    result.latency_per_second      # p50/p90/p99 and count of each second's responses
    result.generator_bound         # True: the numbers measure the generator
    json.dumps(result.to_dict())   # versioned schema, raw HDR histograms included

Open loop sends on a fixed schedule shared by all workers and counts latency
from the intended send time, so a stalled target shows up (no coordinated
omission); closed loop keeps ``connections`` requests in flight back to back.
Every outcome, success or failure, is recorded in the histograms; failures are
also counted by class (``http_503``, ``connect``, ``reset``, ``timeout``,
``tls``, ``protocol``, ``other``).

Import only this package in the calling process: the worker, master and remote
worker modules are gevent-patched and run in their own processes.
"""

from harness.load.engine import LoadRunError, merge_reports, run_load
from harness.load.generator_check import GeneratorVerdict
from harness.load.latency_histogram import LatencySummary, SecondLatency, decode, merge
from harness.load.probe import TargetUnreachableError, probe_target
from harness.load.result import RESULT_SCHEMA, LoadResult, SecondCounts
from harness.load.spec import DistributedSettings, LoadMode, LoadSpec, TlsSettings

__all__ = [
    "RESULT_SCHEMA",
    "DistributedSettings",
    "GeneratorVerdict",
    "LatencySummary",
    "LoadMode",
    "LoadResult",
    "LoadRunError",
    "LoadSpec",
    "SecondCounts",
    "SecondLatency",
    "TargetUnreachableError",
    "TlsSettings",
    "decode",
    "merge",
    "merge_reports",
    "probe_target",
    "run_load",
]
