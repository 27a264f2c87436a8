"""Build etcd and the Kubernetes control-plane binaries from their Go modules, once per version."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.cluster.errors import ClusterError
from harness.cluster.local.state import cache_root

DEFAULT_KUBERNETES_VERSION = "v1.37.2"
GOMOD_DIR = Path(__file__).parent / "gomod"
CONTROL_PLANE_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
ALL_BINARIES = (*CONTROL_PLANE_BINARIES, "kubectl")
_COMPLETE_MARKER = ".complete.json"
_VERSION_RE = re.compile(r"^v1\.(\d+)\.(\d+)$")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildPlan:
    kubernetes_version: str
    etcd_version: str

    @property
    def staging_version(self) -> str:
        return "v0." + self.kubernetes_version.removeprefix("v1.")


def etcd_version_for(kubernetes_version: str) -> str:
    """etcd release paired with a Kubernetes minor (3.7 from 1.37 on, as upstream tests it)."""
    m = _VERSION_RE.match(kubernetes_version)
    if not m:
        raise ClusterError(
            f"Kubernetes version {kubernetes_version!r} is not of the form v1.MINOR.PATCH",
            hint="pass e.g. --kubernetes-version v1.37.2",
        )
    return "v3.7.3" if int(m.group(1)) >= 37 else "v3.6.16"


def binaries_dir(kubernetes_version: str) -> Path:
    return cache_root() / "k8s" / kubernetes_version / "bin"


def find_assets(directory: Path) -> Path:
    """Check that a user-named folder (KUBEBUILDER_ASSETS / --assets) holds every binary."""
    missing = [b for b in CONTROL_PLANE_BINARIES if not os.access(directory / b, os.X_OK)]
    if missing:
        raise ClusterError(
            f"assets folder {directory} lacks executable {', '.join(missing)}",
            hint="point --assets/KUBEBUILDER_ASSETS at a folder holding etcd, kube-apiserver, "
            "kube-controller-manager and kube-scheduler, or leave it unset to build them",
        )
    return directory


def cached_binaries(kubernetes_version: str) -> Path | None:
    d = binaries_dir(kubernetes_version)
    marker = d / _COMPLETE_MARKER
    if marker.is_file() and all(os.access(d / b, os.X_OK) for b in ALL_BINARIES):
        return d
    return None


def _go() -> str:
    go = shutil.which("go")
    if not go:
        raise ClusterError(
            "Go is not installed, and no prebuilt control-plane binaries were given",
            hint="install Go >= 1.26 (the control plane is built from its Go modules once), "
            "or pass --assets DIR / set KUBEBUILDER_ASSETS to a folder with etcd, "
            "kube-apiserver, kube-controller-manager and kube-scheduler",
        )
    return go


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ClusterError(
            f"`{' '.join(cmd)}` failed in {cwd}:\n{proc.stderr.strip()[-3000:]}",
            hint="check the Go module proxy is reachable (go env GOPROXY) and the version exists",
        )
    return proc.stdout


def served_kubernetes_versions() -> list[str]:
    out = _run([_go(), "list", "-m", "-versions", "k8s.io/kubernetes"], cwd=Path("/"))
    return [v for v in out.split()[1:] if _VERSION_RE.match(v)]


def check_version_served(kubernetes_version: str) -> None:
    etcd_version_for(kubernetes_version)  # validates the form
    if kubernetes_version == DEFAULT_KUBERNETES_VERSION:
        return
    served = served_kubernetes_versions()
    if kubernetes_version not in served:
        raise ClusterError(
            f"Kubernetes version {kubernetes_version} is not served by the Go module proxy",
            hint="choose one of: " + ", ".join(served[-8:]),
        )


def _ldflags(version: str) -> str:
    m = _VERSION_RE.match(version)
    assert m is not None
    parts = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        parts += [
            f"-X {pkg}.gitVersion={version}",
            f"-X {pkg}.gitMajor=1",
            f"-X {pkg}.gitMinor={m.group(1)}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate=1970-01-01T00:00:00Z",
        ]
    return " ".join(parts)


def _prepare_k8s_module(plan: BuildPlan, workdir: Path) -> Path:
    """The wrapper module for `plan`: the committed one for the default, else generated."""
    if plan.kubernetes_version == DEFAULT_KUBERNETES_VERSION:
        return GOMOD_DIR / "k8s"
    mod = workdir / "k8s"
    if mod.exists():
        shutil.rmtree(mod)
    shutil.copytree(GOMOD_DIR / "k8s" / "cmd", mod / "cmd")
    go = _go()
    info = json.loads(
        _run([go, "mod", "download", "-json", f"k8s.io/kubernetes@{plan.kubernetes_version}"], mod)
    )
    upstream_mod = Path(info["GoMod"]).read_text()
    go_directive = re.search(r"^go (\S+)", upstream_mod, re.M)
    staging = re.findall(r"^\s*(k8s\.io/[A-Za-z0-9._-]+) => \./staging/", upstream_mod, re.M)
    lines = [
        "module gateway-harness.local/k8sbins",
        "",
        f"go {go_directive.group(1) if go_directive else '1.24.0'}",
        "",
        f"require k8s.io/kubernetes {plan.kubernetes_version}",
        "",
        "replace (",
        *[f"\t{m} => {m} {plan.staging_version}" for m in staging],
        ")",
    ]
    (mod / "go.mod").write_text("\n".join(lines) + "\n")
    _run([go, "mod", "tidy"], mod)
    return mod


def _prepare_etcd_module(plan: BuildPlan, workdir: Path) -> Path:
    committed = GOMOD_DIR / "etcd"
    if f"go.etcd.io/etcd/server/v3 {plan.etcd_version}" in (committed / "go.mod").read_text():
        return committed
    mod = workdir / "etcd"
    mod.mkdir(parents=True, exist_ok=True)
    shutil.copy(committed / "main.go", mod / "main.go")
    (mod / "go.mod").write_text(
        f"module gateway-harness.local/etcdbin\n\ngo 1.24.0\n\n"
        f"require go.etcd.io/etcd/server/v3 {plan.etcd_version}\n"
    )
    _run([_go(), "mod", "tidy"], mod)
    return mod


def _go_build(
    module: Path, targets: list[str], output: str, ldflags: str, tags: str, progress: Progress
) -> None:
    env = dict(os.environ, CGO_ENABLED="0")
    cmd = [_go(), "build", "-v", "-trimpath", "-ldflags", ldflags, "-o", output]
    if tags:
        cmd += ["-tags", tags]
    proc = subprocess.Popen(
        [*cmd, *targets], cwd=module, env=env, stderr=subprocess.PIPE, text=True
    )
    tail: list[str] = []
    start = time.monotonic()
    last = 0.0
    assert proc.stderr is not None
    for compiled, line in enumerate(proc.stderr, start=1):
        tail = [*tail[-39:], line.rstrip()]
        now = time.monotonic()
        if now - last >= 10:
            last = now
            progress(f"  … {compiled} packages compiled, {now - start:.0f}s")
    if proc.wait() != 0:
        raise ClusterError(
            f"go build of {', '.join(targets)} failed:\n" + "\n".join(tail),
            hint="see the Go error above; check `go version` (>= 1.26) and disk space",
        )


def build(kubernetes_version: str, progress: Progress | None = None) -> Path:
    """Build (or reuse) the binaries for `kubernetes_version`; returns their folder."""
    say: Progress = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    cached = cached_binaries(kubernetes_version)
    if cached:
        return cached
    _go()
    check_version_served(kubernetes_version)
    plan = BuildPlan(kubernetes_version, etcd_version_for(kubernetes_version))
    out = binaries_dir(kubernetes_version)
    tmp_out = out.with_name(out.name + ".partial")
    tmp_out.mkdir(parents=True, exist_ok=True)
    workdir = cache_root() / "k8s" / kubernetes_version / "src"
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    say(
        f"Building the control plane {kubernetes_version} (etcd {plan.etcd_version}) from Go "
        "modules; this happens once per version and takes 10-25 minutes on 2 cores …"
    )
    say(f"[1/2] etcd {plan.etcd_version}")
    _go_build(_prepare_etcd_module(plan, workdir), ["."], str(tmp_out / "etcd"), "-s -w", "", say)
    say("[2/2] kube-apiserver, kube-controller-manager, kube-scheduler, kubectl")
    _go_build(
        _prepare_k8s_module(plan, workdir),
        ["./cmd/..."],
        str(tmp_out) + "/",
        _ldflags(kubernetes_version),
        "selinux,notest",
        say,
    )
    missing = [b for b in ALL_BINARIES if not (tmp_out / b).exists()]
    if missing:
        raise ClusterError(
            f"build finished without {', '.join(missing)}", hint="report this as a bug"
        )
    (tmp_out / _COMPLETE_MARKER).write_text(
        json.dumps({"kubernetes": kubernetes_version, "etcd": plan.etcd_version})
    )
    if out.exists():
        shutil.rmtree(out)
    tmp_out.rename(out)
    say(f"Built in {time.monotonic() - t0:.0f}s into {out}")
    return out
