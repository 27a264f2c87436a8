"""The main job: a cluster, an implementation, a conformance verdict and a performance report.

`gwh run` is a thin layer over `run_main_job`; `run_conformance` is shared with
`gwh conformance`.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import harness
import harness.cluster
from harness.bench import run_bench
from harness.cluster import Cluster, ClusterError
from harness.report.writer import write_report
from harness.results import ClusterInfo
from harness.results.assemble import assemble_run

Progress = Callable[[str], None]
REFERENCE_GATEWAY_CLASS = "gateway-harness"
IMPLEMENTATIONS_GROUP = "gateway_harness.implementations"


def suites_dir() -> Path:
    """`suites/conformance` beside the installed `harness` package (a path, not an import)."""
    return Path(harness.__file__).resolve().parent.parent / "suites" / "conformance"


def conformance_command(
    cluster: Cluster,
    gateway_class: str,
    run_dir: Path,
    *,
    options: Sequence[str] = (),
    report_output: Path | None = None,
) -> list[str]:
    """The pytest command line that runs the conformance suites into `run_dir`."""
    cmd = [
        sys.executable, "-m", "pytest", str(suites_dir()),
        "-p", "no:cacheprovider",
        "--gateway-class", gateway_class,
        "--kubeconfig", str(cluster.kubeconfig),
        "--report-output", str(report_output or run_dir / "conformance-report.yaml"),
        "--results-output", str(run_dir / "conformance-results.json"),
        f"--junitxml={run_dir / 'junit.xml'}",
        "-q",
    ]  # fmt: skip
    if cluster.context:
        cmd += ["--context", cluster.context]
    return cmd + list(options)


def run_conformance(
    cluster: Cluster,
    gateway_class: str,
    run_dir: Path,
    *,
    options: Sequence[str] = (),
    report_output: Path | None = None,
) -> int:
    """Run the suites; returns pytest's exit code (0 = every selected test passed)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = conformance_command(
        cluster, gateway_class, run_dir, options=options, report_output=report_output
    )
    return subprocess.run(cmd).returncode


METADATA_FLAGS = {
    "organization": "--organization",
    "project": "--project",
    "url": "--url",
    "version": "--implementation-version",
    "contact": "--contact",
}


def static_address_options(
    cluster: Cluster, usable: Sequence[str] = (), unusable: Sequence[str] = ()
) -> list[str]:
    """--usable-address/--unusable-address for GatewayStaticAddresses: as given, else chosen
    for a local cluster (another provider's addresses only its user knows)."""
    usable, unusable = list(usable), list(unusable)
    if cluster.provider == "local" and not usable and not unusable:
        from harness.cluster.local.static_addresses import static_addresses_of

        picked = static_addresses_of(cluster.name, cluster.api_client())
        usable, unusable = [picked.usable], [picked.unusable]
    options: list[str] = []
    for flag, values in (("--usable-address", usable), ("--unusable-address", unusable)):
        for value in values:
            options += [flag, value]
    return options


def metadata_options(metadata: dict[str, str]) -> list[str]:
    """Plugin options that describe the implementation in the ConformanceReport."""
    options: list[str] = []
    for key, flag in METADATA_FLAGS.items():
        if metadata.get(key):
            options += [flag, metadata[key]]
    return options


def load_implementation(name: str = "reference") -> Any:
    """An installed implementation's module, found by entry point (harness never imports it)."""
    found = [ep for ep in metadata.entry_points(group=IMPLEMENTATIONS_GROUP) if ep.name == name]
    if not found:
        raise ClusterError(
            f"no implementation named {name!r} is installed",
            hint="install the package from the repository with `pip install -e .`",
        )
    return found[0].load()


def reference_metadata() -> dict[str, str]:
    """The bundled implementation's ConformanceReport fields, as it describes itself."""
    described: dict[str, str] = load_implementation().implementation_metadata()
    return described


def install_reference(cluster: Cluster, progress: Progress) -> None:
    """Install the bundled implementation and its GatewayClass."""
    load_implementation().install(cluster, gateway_class=REFERENCE_GATEWAY_CLASS, progress=progress)


def cluster_info(cluster: Cluster) -> ClusterInfo:
    """Provider, name, server version and the Gateway API CRDs' version and channel."""
    from kubernetes.client import ApiextensionsV1Api, VersionApi

    api = cluster.api_client()
    try:
        version = str(VersionApi(api).get_code().git_version)
        crd = ApiextensionsV1Api(api).read_custom_resource_definition(
            "gateways.gateway.networking.k8s.io"
        )
        annotations = (crd.metadata.annotations if crd.metadata else None) or {}
    finally:
        api.close()
    return ClusterInfo(
        provider=cluster.provider,
        name=cluster.name,
        kubernetes_version=version,
        gateway_api_version=annotations.get("gateway.networking.k8s.io/bundle-version", ""),
        gateway_api_channel=annotations.get("gateway.networking.k8s.io/channel", ""),
    )


@dataclasses.dataclass
class MainJobOptions:
    provider: str = "local"
    name: str = "default"
    kubeconfig: str | None = None
    context: str | None = None
    gateway_class: str = REFERENCE_GATEWAY_CLASS
    profiles: str = "GATEWAY-HTTP"
    bench: bool = True
    output: Path | None = None
    cluster_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    # organization, project, url, version, contact; the reference describes itself
    implementation: dict[str, str] = dataclasses.field(default_factory=dict)
    # GatewayStaticAddresses; chosen on the local provider when both are empty
    usable_addresses: list[str] = dataclasses.field(default_factory=list)
    unusable_addresses: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class MainJobOutcome:
    run_dir: Path
    conformance_exit_code: int
    report_html: Path
    summary_md: Path

    @property
    def passed(self) -> bool:
        return self.conformance_exit_code == 0


def run_main_job(options: MainJobOptions, run_dir: Path, progress: Progress) -> MainJobOutcome:
    """Cluster up (local: built once), implementation installed, conformance, quick bench,
    report. The conformance exit code is the verdict."""
    provider = harness.cluster.provider_for(
        options.provider,
        name=options.name,
        kubeconfig=options.kubeconfig,
        context=options.context,
    )
    progress(f"[1/5] cluster ({options.provider}) …")
    if options.provider == "existing":
        cluster = provider.cluster()
    else:
        try:
            # A running cluster is used as it is, whatever options started it.
            cluster = provider.cluster()
            progress(f"  using the running cluster {options.name!r}")
        except ClusterError:
            cluster = provider.up(progress=progress, **options.cluster_options)
    progress(f"[2/5] implementation: GatewayClass {options.gateway_class} …")
    if options.gateway_class == REFERENCE_GATEWAY_CLASS and options.provider == "local":
        install_reference(cluster, progress)
    progress(f"[3/5] conformance ({options.profiles}) …")
    described = dict(options.implementation)
    if options.gateway_class == REFERENCE_GATEWAY_CLASS and not described:
        described = reference_metadata()
    code = run_conformance(
        cluster,
        options.gateway_class,
        run_dir,
        options=[
            *static_address_options(cluster, options.usable_addresses, options.unusable_addresses),
            "--profiles",
            options.profiles,
            *metadata_options(described),
        ],
    )
    if options.bench:
        progress("[4/5] quick benchmark …")
        run_bench(
            cluster,
            gateway_class=options.gateway_class,
            profile="quick",
            output_dir=run_dir,
            progress=progress,
        )
    else:
        progress("[4/5] benchmark skipped (--no-bench)")
    progress("[5/5] report …")
    run = assemble_run(run_dir, command=["gwh", "run"])
    run.cluster = cluster_info(cluster)
    run.save(run_dir)
    written = write_report(run_dir)
    return MainJobOutcome(
        run_dir=run_dir,
        conformance_exit_code=code,
        report_html=written.html,
        summary_md=written.summary,
    )
