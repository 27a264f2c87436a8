"""The gateway-harness pytest plugin: conformance options, selection, base resources, reports.

Loaded for every pytest run through the ``pytest11`` entry point; it stays
inert (scenario tests are skipped, nothing connects anywhere) until a
conformance option such as ``--gateway-class`` is given.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.conformance.catalog import Catalog, available_versions, default_version
from harness.conformance.manifest_rewrites import Rewrites, parse_key_values
from harness.conformance.options import (
    DEFAULT_GATEWAY_CLASS,
    ConformanceOptions,
    check_options,
    split_list,
)
from harness.conformance.report import Implementation, build_report, rfc3339_now
from harness.conformance.results import Outcome, RunInfo, TestResult, write_results_json
from harness.conformance.scenario import MARKER, GatewayHandle, ScenarioSpec
from harness.conformance.selection import (
    Decision,
    NoSupportedFeatures,
    SelectionRules,
    decide,
    resolve_supported_features,
)
from harness.conformance.timeouts import TimeoutConfig

# Options whose presence turns a pytest run into a conformance run.
_ACTIVATING = (
    "gwh_gateway_class",
    "gwh_supported_features",
    "gwh_all_features",
    "gwh_profiles",
    "gwh_run_test",
    "gwh_report_output",
    "gwh_offline",
)
PROP_PREFIX = "gwh."
TEST_LABEL = "gateway-harness.io/test"
RUN_LABEL = "gateway-harness.io/run"
RUN_KEY = pytest.StashKey["ConformanceRun"]()
REAPPLY_KEY = pytest.StashKey["Any"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gateway-harness", "Gateway API conformance (gateway-harness)")
    add = group.addoption
    add(
        "--gateway-class",
        dest="gwh_gateway_class",
        default=None,
        help=f"GatewayClass under test (default {DEFAULT_GATEWAY_CLASS} once a conformance "
        "option is given); giving it turns on the conformance run",
    )
    add(
        "--supported-features",
        dest="gwh_supported_features",
        action="append",
        default=None,
        help="comma list of supported features (default: GatewayClass status.supportedFeatures)",
    )
    add(
        "--exempt-features",
        dest="gwh_exempt_features",
        action="append",
        default=None,
        help="comma list of features to leave out",
    )
    add(
        "--all-features",
        dest="gwh_all_features",
        action="store_true",
        default=False,
        help="treat every feature of the Gateway API version as supported",
    )
    add(
        "--profiles",
        "--conformance-profiles",
        dest="gwh_profiles",
        action="append",
        default=None,
        help="comma list of conformance profiles, e.g. GATEWAY-HTTP,GATEWAY-GRPC",
    )
    add(
        "--skip-tests",
        dest="gwh_skip_tests",
        action="append",
        default=None,
        help="comma list of ShortNames to skip (reported as skipped)",
    )
    add(
        "--run-test",
        dest="gwh_run_test",
        default=None,
        help="run only this ShortName (all other scenarios are reported as skipped)",
    )
    add(
        "--skip-provisional-tests",
        dest="gwh_skip_provisional",
        action="store_true",
        default=False,
        help="do not run provisional tests (not reported)",
    )
    add(
        "--report-output",
        dest="gwh_report_output",
        default=None,
        help="write the ConformanceReport YAML here",
    )
    add(
        "--results-output",
        dest="gwh_results_output",
        default=None,
        help="write the results JSON here (default: results.json beside --report-output)",
    )
    add(
        "--cleanup-base-resources",
        dest="gwh_cleanup_base",
        default="true",
        choices=("true", "false"),
        help="delete the base resources at the end (default true)",
    )
    add(
        "--cleanup-test-resources",
        dest="gwh_cleanup_test",
        default="true",
        choices=("true", "false"),
        help="delete each test's resources after it (default true)",
    )
    add(
        "--timeout-config-overrides",
        dest="gwh_timeouts",
        default="",
        help="Name:seconds;Name:seconds using upstream TimeoutConfig names",
    )
    add(
        "--conformance-retries",
        dest="gwh_retries",
        type=int,
        default=1,
        help="retry a failed scenario once (1, default) and report it flaky, or never (0)",
    )
    add("--mode", dest="gwh_mode", default="default", help="report mode (default: default)")
    add(
        "--gateway-api-version",
        dest="gwh_api_version",
        default=None,
        help=f"Gateway API version of the catalogue ({', '.join(available_versions())}; "
        "default: the CRDs' bundle-version, else " + default_version() + ")",
    )
    add(
        "--gateway-api-channel",
        dest="gwh_api_channel",
        default=None,
        help="standard or experimental (default: the CRDs' channel annotation)",
    )
    add(
        "--usable-address",
        dest="gwh_usable_address",
        action="append",
        default=None,
        help="address(es) replacing PLACEHOLDER_USABLE_ADDRS in Gateway spec.addresses",
    )
    add(
        "--unusable-address",
        dest="gwh_unusable_address",
        action="append",
        default=None,
        help="address(es) replacing PLACEHOLDER_UNUSABLE_ADDRS in Gateway spec.addresses",
    )
    add(
        "--namespace-labels",
        dest="gwh_namespace_labels",
        default="",
        help="k=v,k=v added to every Namespace the run applies (e.g. sidecar injection)",
    )
    add(
        "--namespace-annotations",
        dest="gwh_namespace_annotations",
        default="",
        help="k=v,k=v annotations added to every Namespace the run applies",
    )
    add("--kubeconfig", dest="gwh_kubeconfig", default=None, help="kubeconfig of the cluster")
    add("--context", dest="gwh_context", default=None, help="kubeconfig context")
    add(
        "--conformance-offline",
        dest="gwh_offline",
        action="store_true",
        default=False,
        help="select and report without a cluster (dry runs with --collect-only; needs "
        "--supported-features or --all-features)",
    )
    add("--organization", dest="gwh_organization", default="", help="report: organization")
    add("--project", dest="gwh_project", default="", help="report: project")
    add("--url", dest="gwh_url", default="", help="report: project URL")
    add(
        "--implementation-version",
        dest="gwh_impl_version",
        default="",
        help="report: implementation version (upstream's --version; pytest owns that name)",
    )
    add(
        "--contact",
        dest="gwh_contact",
        action="append",
        default=None,
        help="report: comma list of contacts",
    )


@dataclasses.dataclass
class ConformanceRun:
    """Everything a configured conformance run knows; kept in ``config.stash``."""

    options: ConformanceOptions
    catalog: Catalog
    supported: frozenset[str]
    inferred: bool
    rules: SelectionRules
    channel: str
    controller_name: str
    offline: bool
    run_dir: Path
    run_id: str
    api: Any = None
    rewrites: Rewrites = dataclasses.field(default_factory=Rewrites)
    started: str = ""
    results: dict[str, TestResult] = dataclasses.field(default_factory=dict)

    def catalog_parallel(self, short_name: str) -> bool:
        """True only for a catalogue test marked Parallel; anything else runs alone."""
        spec = self.catalog.tests.get(short_name)
        return spec is not None and spec.parallel


def _is_active(config: pytest.Config) -> bool:
    return any(config.getoption(name) for name in _ACTIVATING)


def _options(config: pytest.Config) -> ConformanceOptions:
    def opt(name: str) -> Any:
        return config.getoption(name)

    return ConformanceOptions(
        gateway_class=opt("gwh_gateway_class") or DEFAULT_GATEWAY_CLASS,
        supported_features=split_list(opt("gwh_supported_features")),
        exempt_features=split_list(opt("gwh_exempt_features")),
        all_features=bool(opt("gwh_all_features")),
        profiles=split_list(opt("gwh_profiles")),
        skip_tests=split_list(opt("gwh_skip_tests")),
        run_test=opt("gwh_run_test") or "",
        skip_provisional=bool(opt("gwh_skip_provisional")),
        report_output=opt("gwh_report_output") or "",
        results_output=opt("gwh_results_output") or "",
        cleanup_base_resources=opt("gwh_cleanup_base") == "true",
        cleanup_test_resources=opt("gwh_cleanup_test") == "true",
        mode=opt("gwh_mode"),
        gateway_api_version=opt("gwh_api_version") or "",
        gateway_api_channel=opt("gwh_api_channel") or "",
        kubeconfig=opt("gwh_kubeconfig") or "",
        context=opt("gwh_context") or "",
        retries=opt("gwh_retries"),
        implementation=Implementation(
            organization=opt("gwh_organization"),
            project=opt("gwh_project"),
            url=opt("gwh_url"),
            version=opt("gwh_impl_version"),
            contact=split_list(opt("gwh_contact")),
        ),
    )


def _usage(problems: list[str]) -> pytest.UsageError:
    head = "gateway-harness conformance: cannot start the run"
    return pytest.UsageError(head + ":\n  " + "\n  ".join(problems))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(short_name, features, manifest, provisional, gateway, namespace): "
        "a Gateway API conformance scenario (see harness.conformance.scenario)",
    )
    if not _is_active(config):
        return
    run = _start_run(config)
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(_ResultCollector(run), "gwh-results")
    if config.pluginmanager.hasplugin("xdist"):
        _check_dist_mode(config)
        config.pluginmanager.register(_XdistHooks(run), "gwh-xdist-hooks")


def _check_dist_mode(config: pytest.Config) -> None:
    """Refuse xdist modes that would run one scenario on several workers at once."""
    if hasattr(config, "workerinput"):
        return
    if config.getoption("dist", "no") == "each":
        raise _usage(
            [
                "--dist each runs every scenario on every worker, which makes them judge "
                "each other's objects; use -n N alone (the plugin schedules the workers)"
            ]
        )


def _start_run(config: pytest.Config) -> ConformanceRun:
    try:
        options = _options(config)
        options = dataclasses.replace(options, timeouts=TimeoutConfig())
    except ValueError as exc:
        raise _usage([str(exc)]) from None
    offline = bool(config.getoption("gwh_offline"))
    api = None
    crd_version = crd_channel = ""
    if not offline:
        from harness.kube.client import ClusterUnreachable, connect

        try:
            api = connect(options.kubeconfig or None, options.context or None)
        except ClusterUnreachable as exc:
            raise _usage([str(exc)]) from None
        crd_version, crd_channel = _crd_bundle(api)
    version = options.gateway_api_version or _known(crd_version) or default_version()
    try:
        catalog = Catalog.load(version)
    except ValueError as exc:
        raise _usage([f"--gateway-api-version: {exc}"]) from None
    try:
        timeouts = (
            TimeoutConfig()
            .with_values(dict(catalog.timeout_defaults))
            .with_overrides(config.getoption("gwh_timeouts"))
        )
    except ValueError as exc:
        raise _usage([f"--timeout-config-overrides: {exc}"]) from None
    options = dataclasses.replace(options, timeouts=timeouts)
    problems = check_options(options, catalog)
    if problems:
        raise _usage(problems)
    controller_name, inferred_features = "", None
    if api is not None:
        controller_name, inferred_features = _check_gateway_class(api, options)
    elif not (options.supported_features or options.all_features or options.run_test):
        raise _usage(
            [
                "--conformance-offline cannot read the GatewayClass: give --supported-features, "
                "--all-features or --run-test"
            ]
        )
    try:
        supported, inferred = resolve_supported_features(
            catalog,
            supported=options.supported_features,
            exempt=options.exempt_features,
            all_features=options.all_features,
            run_test=options.run_test,
            profiles=options.profiles,
            inferred=inferred_features,
        )
    except (ValueError, NoSupportedFeatures) as exc:
        raise _usage([str(exc)]) from None
    try:
        rewrites = Rewrites(
            usable_addresses=split_list(config.getoption("gwh_usable_address")),
            unusable_addresses=split_list(config.getoption("gwh_unusable_address")),
            namespace_labels=parse_key_values(
                config.getoption("gwh_namespace_labels"), "--namespace-labels"
            ),
            namespace_annotations=parse_key_values(
                config.getoption("gwh_namespace_annotations"), "--namespace-annotations"
            ),
        )
    except ValueError as exc:
        raise _usage([str(exc)]) from None
    run_dir, run_id = _shared_run_dir(config)
    return ConformanceRun(
        rewrites=rewrites,
        options=options,
        catalog=catalog,
        supported=supported,
        inferred=inferred,
        rules=SelectionRules(
            supported, frozenset(options.skip_tests), options.run_test, options.skip_provisional
        ),
        channel=options.gateway_api_channel or crd_channel or "standard",
        controller_name=controller_name,
        offline=offline,
        run_dir=run_dir,
        run_id=run_id,
        api=api,
        started=rfc3339_now(),
    )


def _known(version: str) -> str:
    """``version`` if a catalogue covers it, else ""."""
    if not version:
        return ""
    try:
        Catalog.load(version)
    except ValueError:
        return ""
    return version


def _crd_bundle(api: Any) -> tuple[str, str]:
    """(bundle-version, channel) annotations of the Gateway CRD, empty when unknown."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        crd = client.ApiextensionsV1Api(api).read_custom_resource_definition(
            "gateways.gateway.networking.k8s.io"
        )
    except ApiException as exc:
        if exc.status == 404:
            raise _usage(
                [
                    "the cluster has no Gateway API CRDs (gateways.gateway.networking.k8s.io); "
                    "install them, e.g. with `gwh cluster up`"
                ]
            ) from None
        raise
    annotations = (crd.metadata.annotations if crd.metadata else None) or {}
    return (
        annotations.get("gateway.networking.k8s.io/bundle-version", ""),
        annotations.get("gateway.networking.k8s.io/channel", ""),
    )


def _check_gateway_class(api: Any, options: ConformanceOptions) -> tuple[str, list[str]]:
    """(controllerName, status.supportedFeatures names) once the class is Accepted."""
    from kubernetes.client.exceptions import ApiException

    from harness.kube import status as st
    from harness.kube.resources import resolve_kind
    from harness.kube.waiting import WaitTimeout, wait_for

    name = options.gateway_class
    resource = resolve_kind(api, "gateway.networking.k8s.io/v1/GatewayClass")
    try:
        obj = resource.get(name=name).to_dict()
    except ApiException as exc:
        if exc.status != 404:
            raise
        names = [i["metadata"]["name"] for i in resource.get().to_dict().get("items", [])]
        raise _usage(
            [
                f"--gateway-class: GatewayClass {name!r} does not exist; the cluster has "
                f"{names or 'none'}; install an implementation (`gwh reference install`) "
                "or name an existing class"
            ]
        ) from None
    if st.gatewayclass_accepted("True").mismatch(obj) is not None:
        sys.stderr.write(
            f"conformance: waiting up to {options.timeouts.GWCMustBeAccepted:g}s for GatewayClass "
            f"{name} to be Accepted at its latest generation (GWCMustBeAccepted)\n"
        )
    try:
        obj = (
            wait_for(
                api,
                "gateway.networking.k8s.io/v1/GatewayClass",
                "",
                name,
                st.gatewayclass_accepted("True"),
                options.timeouts.GWCMustBeAccepted,
            )
            or obj
        )
    except WaitTimeout as exc:
        raise _usage([f"--gateway-class: GatewayClass {name!r} is not Accepted: {exc}"]) from None
    features = [f.get("name", "") for f in obj.get("status", {}).get("supportedFeatures") or []]
    return str(obj["spec"]["controllerName"]), features


def _shared_run_dir(config: pytest.Config) -> tuple[Path, str]:
    """A folder shared by the xdist workers of this run; created only when used."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput and "gwh_run_dir" in workerinput:
        return Path(workerinput["gwh_run_dir"]), str(workerinput["gwh_run_id"])
    run_id = uuid.uuid4().hex[:12]
    return Path(tempfile.gettempdir()) / f"gwh-conformance-{run_id}", run_id


class _XdistHooks:
    """Hands the run folder to every xdist worker and schedules non-parallel scenarios alone.

    Registered only when xdist is loaded.
    """

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["gwh_run_dir"] = str(self.run.run_dir)
        node.workerinput["gwh_run_id"] = self.run.run_id

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getoption("dist", "no") in ("no", "each"):
            return None
        from harness.conformance.scheduling import SerialGroupScheduling

        # Read once the workers have collected: they list every scenario's properties.
        listing: dict[str, dict[str, str]] = {}

        def is_serial(node_id: str) -> bool:
            if not listing:
                listing.update(_collected_props(self.run))
            return listing.get(node_id, {}).get("serial") == "true"

        return SerialGroupScheduling(config, log, is_serial)


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return []
    how = "inferred from the GatewayClass" if run.inferred else "from options"
    return [
        f"conformance: GatewayClass {run.options.gateway_class}, Gateway API "
        f"{run.catalog.version} ({run.channel}), mode {run.options.mode}"
        + (", OFFLINE" if run.offline else ""),
        f"conformance: profiles {', '.join(run.options.profiles) or 'none'}; "
        f"{len(run.supported)} supported features ({how}): {', '.join(sorted(run.supported))}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run: ConformanceRun | None = config.stash.get(RUN_KEY, None)
    seen: dict[str, str] = {}
    for item in items:
        mark = item.get_closest_marker(MARKER)
        if mark is None:
            continue
        try:
            spec = ScenarioSpec.from_marker(mark)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"{item.nodeid}: bad @scenario: {exc}") from None
        if run is None:
            item.add_marker(
                pytest.mark.skip(
                    reason="conformance run not configured: pass --gateway-class "
                    "(or use `gwh conformance`)"
                )
            )
            continue
        unknown = sorted(spec.features - run.catalog.feature_names)
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid}: @scenario({spec.short_name}) names unknown features {unknown} "
                f"for Gateway API {run.catalog.version}"
            )
        if spec.short_name in seen and seen[spec.short_name] != item.nodeid:
            raise pytest.UsageError(
                f"scenario {spec.short_name} is declared twice: "
                f"{seen[spec.short_name]} and {item.nodeid}"
            )
        seen[spec.short_name] = item.nodeid
        decision = decide(spec.short_name, spec.features, spec.provisional, run.rules)
        _set_props(item, spec, decision, serial=not run.catalog_parallel(spec.short_name))
        if not decision.runs:
            item.add_marker(pytest.mark.skip(reason=decision.reason))
    if run is not None and hasattr(config, "workerinput"):
        _write_collected_props(run, items)
    if run is not None:
        unknown_skips = [
            n for n in run.options.skip_tests if n not in seen and n not in run.catalog.tests
        ]
        if unknown_skips:
            raise pytest.UsageError(
                f"--skip-tests: unknown test names {unknown_skips}; use upstream ShortNames "
                "(e.g. HTTPRouteWeight) or the name of a collected scenario"
            )
    if run is not None and run.options.run_test and run.options.run_test not in seen:
        raise pytest.UsageError(
            f"--run-test: no collected scenario is named {run.options.run_test!r}; "
            f"collected: {', '.join(sorted(seen)) or 'none'}"
        )


def _set_props(item: pytest.Item, spec: ScenarioSpec, decision: Decision, *, serial: bool) -> None:
    item.user_properties.extend(
        [
            # Not marked Parallel upstream: under xdist it runs alone (see scheduling).
            (PROP_PREFIX + "serial", "true" if serial else "false"),
            (PROP_PREFIX + "short_name", spec.short_name),
            (PROP_PREFIX + "features", ",".join(sorted(spec.features))),
            (PROP_PREFIX + "provisional", "true" if spec.provisional else "false"),
            (PROP_PREFIX + "selection", decision.outcome.value if decision.outcome else "run"),
        ]
    )


def _props(report: pytest.TestReport) -> dict[str, str]:
    return _props_of(report.user_properties)


def _props_of(properties: Any) -> dict[str, str]:
    return {
        str(k)[len(PROP_PREFIX) :]: str(v) for k, v in properties if str(k).startswith(PROP_PREFIX)
    }


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a scenario; retry a failure once and report it flaky (still a failure)."""
    run: ConformanceRun | None = pyfuncitem.config.stash.get(RUN_KEY, None)
    if run is None or pyfuncitem.get_closest_marker(MARKER) is None or run.options.retries < 1:
        return None
    func = pyfuncitem.obj
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    try:
        func(**args)
        return True
    except (Exception, pytest.fail.Exception) as first:
        first_message = f"{first.__class__.__name__}: {first}"
    reapply = pyfuncitem.stash.get(REAPPLY_KEY, None)
    if reapply is not None:
        reapply()
    pyfuncitem.user_properties.append((PROP_PREFIX + "attempts", "2"))
    try:
        func(**args)
    except (Exception, pytest.fail.Exception) as second:
        raise AssertionError(
            f"failed twice.\nattempt 1: {first_message}\n"
            f"attempt 2: {second.__class__.__name__}: {second}"
        ) from second
    pyfuncitem.user_properties.append((PROP_PREFIX + "flaky", "true"))
    pytest.fail(
        "FLAKY: attempt 1 failed, attempt 2 passed; counted as a failure.\n"
        f"attempt 1: {first_message}",
        pytrace=False,
    )
    return True  # pragma: no cover - pytest.fail raises


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    if report.when == "call" and report.failed and _props(report).get("flaky") == "true":
        return "failed", "K", "FLAKY"  # a flaky scenario is a failure
    return None


class _ResultCollector:
    """Turns scenario reports into TestResults on the process that writes the outputs."""

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = _props(report)
        if "short_name" not in props:
            # A crashed xdist worker's report carries no properties: find them in the
            # listing the workers wrote at collection, so the crash counts as a failure.
            props = _collected_props(self.run).get(report.nodeid, {})
        if "short_name" in props:
            _collect(self.run.results, props, report)


def _write_collected_props(run: ConformanceRun, items: list[pytest.Item]) -> None:
    listing = {item.nodeid: _props_of(item.user_properties) for item in items}
    listing = {nodeid: props for nodeid, props in listing.items() if props}
    if not listing:
        return
    run.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (run.run_dir / f"items-{os.getpid()}.json").write_text(json.dumps(listing))


def _collected_props(run: ConformanceRun) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in run.run_dir.glob("items-*.json"):
        merged.update(json.loads(path.read_text()))
    return merged


def _collect(
    collected: dict[str, TestResult], props: dict[str, str], report: pytest.TestReport
) -> None:
    name = props["short_name"]
    node_id = report.nodeid
    result = collected.get(node_id)
    if result is None:
        result = TestResult(
            short_name=name,
            outcome=Outcome.PASSED,
            features=frozenset(filter(None, props.get("features", "").split(","))),
            provisional=props.get("provisional") == "true",
            node_id=node_id,
        )
        collected[node_id] = result
    result.duration_seconds += report.duration
    result.attempts = int(props.get("attempts", result.attempts))
    if report.skipped:
        selection = props.get("selection", "run")
        result.outcome = Outcome(selection) if selection != "run" else Outcome.SKIPPED
        result.message = _skip_reason(report)
    elif report.failed:
        result.outcome = Outcome.FLAKY if props.get("flaky") == "true" else Outcome.FAILED
        message = _failure_message(report)
        result.message = message if report.when == "call" else f"{report.when} failed: {message}"


def _failure_message(report: pytest.TestReport) -> str:
    """The exception's own message and where it was raised; the full text if there is none.

    A traceback with source listings would push the message (what was expected, what
    came back) past the length limit.
    """
    crash: Any = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return _short(f"{crash.message}\n  at {crash.path}:{crash.lineno}")
    return _short(report.longreprtext)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _short(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[: limit - 20] + "\n... (truncated)"


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> ConformanceRun:
    """The configured conformance run (options, catalogue, supported features)."""
    run: ConformanceRun | None = request.config.stash.get(RUN_KEY, None)
    if run is None:
        pytest.skip("conformance run not configured: pass --gateway-class")
    return run


@pytest.fixture(scope="session")
def kube_api(conformance_run: ConformanceRun) -> Any:
    """The kubernetes ApiClient of the cluster under test."""
    if conformance_run.api is None:
        pytest.fail(
            "this test needs the cluster, but the run is --conformance-offline", pytrace=False
        )
    return conformance_run.api


@pytest.fixture(scope="session")
def base_resources(conformance_run: ConformanceRun, kube_api: Any) -> dict[str, Any]:
    """Namespaces, Gateways, backends and certificates, applied once per run (xdist-safe)."""
    from harness.conformance import base_resources as base
    from harness.conformance.coordination import SharedSetupFailed, run_once

    run = conformance_run
    needed = run.supported
    selected = run.catalog.tests.get(run.options.run_test) if run.options.run_test else None
    if selected is not None:
        # --run-test leaves the supported features empty (as upstream), yet the one scenario
        # it selects still needs the namespaces, Gateways and backends its features imply.
        needed = needed | selected.features

    def create() -> dict[str, Any]:
        from harness.kube.apply import ManifestError
        from harness.kube.delete import delete_and_wait

        try:
            applied = base.apply_base(
                kube_api,
                run.options.gateway_class,
                run.catalog.images.get("echoBasic", ""),
                needed,
                run.run_id,
                run.rewrites.apply,
            )
        except ManifestError as exc:
            delete_and_wait(kube_api, [a.ref for a in exc.applied], 120.0)
            raise
        # Recorded before waiting, so the end of the run removes them even if never ready.
        (run.run_dir / "base-objects.json").write_text(
            json.dumps([dataclasses.asdict(a.ref) for a in applied])
        )
        base.namespaces_ready(kube_api, base.NAMESPACES, run.options.timeouts)
        return {"objects": [dataclasses.asdict(a.ref) for a in applied]}

    if "Gateway" not in needed:
        return {"objects": []}
    try:
        return run_once(run.run_dir, "base-resources", create)
    except SharedSetupFailed as exc:
        failure = str(exc)
    pytest.fail(failure, pytrace=False)


@pytest.fixture
def scenario_spec(request: pytest.FixtureRequest) -> ScenarioSpec:
    mark = request.node.get_closest_marker(MARKER)
    if mark is None:
        pytest.fail("this fixture is for @scenario tests", pytrace=False)
    return ScenarioSpec.from_marker(mark)


@pytest.fixture(autouse=True)
def _scenario_resources(request: pytest.FixtureRequest) -> Iterator[None]:
    """Apply a scenario's manifests (labelled with its ShortName) and remove them after."""
    mark = request.node.get_closest_marker(MARKER)
    run: ConformanceRun | None = request.config.stash.get(RUN_KEY, None)
    if mark is None or run is None or run.offline:
        yield
        return
    spec = ScenarioSpec.from_marker(mark)
    api = request.getfixturevalue("kube_api")
    request.getfixturevalue("base_resources")
    if not spec.manifests:
        yield
        return
    from harness.kube.apply import ManifestError, apply_manifest, parse_manifest
    from harness.kube.delete import delete_and_wait

    folder = Path(str(request.node.path)).parent
    subs = {
        "GATEWAY_CLASS_NAME": run.options.gateway_class,
        "GATEWAY_CONTROLLER_NAME": run.controller_name,
    }
    labels = {TEST_LABEL: _label_value(spec.short_name), RUN_LABEL: run.run_id}
    applied: list[Any] = []

    def apply_all() -> None:
        for manifest in spec.manifests:
            path = folder / manifest
            try:
                objects = run.rewrites.apply(parse_manifest(path, subs))
                applied.extend(apply_manifest(api, path, labels=labels, objects=objects))
            except ManifestError as exc:
                applied.extend(exc.applied)  # removed below: leave nothing behind
                raise

    request.node.stash[REAPPLY_KEY] = apply_all
    try:
        try:
            apply_all()
        finally:
            _record_live(run, [a.ref for a in applied])
        yield
    finally:
        if run.options.cleanup_test_resources and applied:
            unique = list(dict.fromkeys(a.ref for a in applied))
            # As upstream: the objects themselves must be gone within DeleteTimeout. Foreground
            # deletion would also wait for the garbage collector, which on a fresh cluster can
            # take longer than that for a new CRD and fail a correct implementation.
            delete_and_wait(
                api, unique, run.options.timeouts.DeleteTimeout, propagation="Background"
            )
            _record_live(run, [])


def _record_live(run: ConformanceRun, refs: list[Any]) -> None:
    """Note this process's live test objects, so the end of the run removes them after a crash."""
    run.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = run.run_dir / f"test-objects-{os.getpid()}.json"
    path.write_text(json.dumps([dataclasses.asdict(r) for r in dict.fromkeys(refs)]))


def _leftover_test_objects(run: ConformanceRun) -> list[Any]:
    from harness.kube.resources import ObjectRef

    refs: list[ObjectRef] = []
    for path in sorted(run.run_dir.glob("test-objects-*.json")):
        refs.extend(ObjectRef(**o) for o in json.loads(path.read_text()))
    return refs


def _label_value(text: str) -> str:
    if len(text) <= 63:
        return text
    import hashlib

    return text[:52] + "-" + hashlib.sha256(text.encode()).hexdigest()[:10]


@pytest.fixture
def gateway(
    conformance_run: ConformanceRun, kube_api: Any, scenario_spec: ScenarioSpec
) -> GatewayHandle:
    """The scenario's Gateway (default ``same-namespace``) with status assertions."""
    return GatewayHandle(
        kube_api,
        scenario_spec.gateway,
        scenario_spec.namespace,
        conformance_run.controller_name,
        conformance_run.options.timeouts,
    )


@pytest.fixture
def traffic(
    conformance_run: ConformanceRun, gateway: GatewayHandle, scenario_spec: ScenarioSpec
) -> Any:
    """Traffic aimed at the scenario Gateway's address (first listener's port)."""
    from harness.conformance.traffic import Traffic

    features = ",".join(sorted(scenario_spec.features)) or "unknownFeature"
    version = conformance_run.catalog.version
    agent = f"gateway-harness::{version}::{scenario_spec.short_name}::{features}"
    return Traffic(
        gateway.address(),
        conformance_run.options.timeouts,
        namespace=gateway.namespace,
        user_agent=agent,
    )


@pytest.fixture
def timeouts(conformance_run: ConformanceRun) -> TimeoutConfig:
    return conformance_run.options.timeouts


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    run: ConformanceRun | None = config.stash.get(RUN_KEY, None)
    if run is None or hasattr(config, "workerinput"):
        return  # xdist workers leave reporting and base cleanup to the controller
    try:
        _write_outputs(config, run)
    finally:
        try:
            _cleanup_base(run)
        finally:
            shutil.rmtree(run.run_dir, ignore_errors=True)


def _write_outputs(config: pytest.Config, run: ConformanceRun) -> None:
    results = list(run.results.values())
    options = run.options
    results_path = options.results_output or (
        str(Path(options.report_output).parent / "results.json") if options.report_output else ""
    )
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if results_path:
        info = RunInfo(
            gateway_class=options.gateway_class,
            gateway_api_version=run.catalog.version,
            gateway_api_channel=run.channel,
            mode=options.mode,
            supported_features=run.supported,
            profiles=options.profiles,
            started=run.started,
            finished=rfc3339_now(),
        )
        path = write_results_json(results_path, info, results)
        if reporter:
            reporter.write_line(f"conformance results JSON: {path}")
    if options.report_output:
        report = build_report(
            run.catalog,
            results,
            profiles=options.profiles,
            supported_features=run.supported,
            implementation=options.implementation,
            mode=options.mode,
            channel=run.channel,
        )
        path = report.write(options.report_output)
        if reporter:
            reporter.write_line(f"conformance report: {path}")


def _cleanup_base(run: ConformanceRun) -> None:
    from harness.kube.delete import delete_and_wait
    from harness.kube.resources import ObjectRef

    if run.api is None:
        return
    leftovers = _leftover_test_objects(run) if run.options.cleanup_test_resources else []
    if leftovers:  # a worker died or was interrupted between apply and cleanup
        delete_and_wait(run.api, leftovers, run.options.timeouts.DeleteTimeout)
    listing = run.run_dir / "base-objects.json"
    if not listing.exists() or not run.options.cleanup_base_resources:
        return

    refs = [ObjectRef(**o) for o in json.loads(listing.read_text())]
    # A namespace takes its contents with it: delete only namespaces and what lies outside
    # them, and wait until they are gone so a rerun starts clean.
    namespaces = {r.name for r in refs if r.kind == "Namespace"}
    refs = [r for r in refs if r.namespace not in namespaces]
    delete_and_wait(run.api, refs, max(run.options.timeouts.DeleteTimeout, 120.0))
