"""Pod volumes as files: Secret and ConfigMap keys written under the pod's folder, emptyDir."""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.cluster.local.nodeagent.envresolve import ContainerConfigError, ObjectLookup

log = logging.getLogger(__name__)

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class BindMount:
    """A host path (file or folder the agent wrote) bind-mounted at `target` for one container."""

    source: Path
    target: str


def _write_keys(folder: Path, data: dict[str, bytes], volume: Obj, kind: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    items = volume.get("items")
    mode = int(volume.get("defaultMode", 0o644))
    selected: list[tuple[str, str, int]]
    if items:
        selected = [(i["key"], i["path"], int(i.get("mode", mode))) for i in items]
    else:
        selected = [(key, key, mode) for key in data]
    for key, rel_path, file_mode in selected:
        if key not in data:
            if volume.get("optional"):
                continue
            raise ContainerConfigError(f"{kind} volume has no key {key!r}")
        target = folder / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data[key])
        target.chmod(file_mode)


def prepare_volumes(
    pod: Obj,
    pod_dir: Path,
    *,
    secrets: ObjectLookup,
    config_maps: ObjectLookup,
) -> dict[str, Path]:
    """Write every supported volume of the pod; returns volume name -> host folder."""
    namespace = pod.get("metadata", {}).get("namespace", "")
    folders: dict[str, Path] = {}
    for volume in pod.get("spec", {}).get("volumes") or []:
        name = volume["name"]
        folder = pod_dir / "volumes" / name
        if "secret" in volume:
            source = volume["secret"]
            secret = secrets(namespace, source.get("secretName", ""))
            if secret is None:
                if not source.get("optional"):
                    raise ContainerConfigError(f'secret "{source.get("secretName")}" not found')
                secret = {}
            data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
            _write_keys(folder, data, source, "secret")
        elif "configMap" in volume:
            source = volume["configMap"]
            config_map = config_maps(namespace, source.get("name", ""))
            if config_map is None:
                if not source.get("optional"):
                    raise ContainerConfigError(f'configmap "{source.get("name")}" not found')
                config_map = {}
            data = {k: v.encode() for k, v in (config_map.get("data") or {}).items()}
            data.update(
                {k: base64.b64decode(v) for k, v in (config_map.get("binaryData") or {}).items()}
            )
            _write_keys(folder, data, source, "configmap")
        elif "emptyDir" in volume:
            folder.mkdir(parents=True, exist_ok=True)
        else:
            kinds = [k for k in volume if k != "name"]
            log.info(
                "pod %s/%s: volume %s of type %s is not supported locally; skipped",
                namespace, pod["metadata"].get("name"), name, kinds,
            )  # fmt: skip
            continue
        folders[name] = folder
    return folders


def container_mounts(container: Obj, folders: dict[str, Path]) -> list[BindMount]:
    """The bind mounts of one container (mounts of skipped volumes are left out)."""
    mounts: list[BindMount] = []
    for mount in container.get("volumeMounts") or []:
        folder = folders.get(mount.get("name", ""))
        if folder is None:
            continue
        source = folder / mount["subPath"] if mount.get("subPath") else folder
        mounts.append(BindMount(source, mount["mountPath"]))
    return mounts


def ensure_mountpoint(mount: BindMount, record: Callable[[Path], None]) -> None:
    """Create a missing mount target on the host (recorded, so cleanup removes it)."""
    target = Path(mount.target)
    if target.exists():
        return
    missing: list[Path] = []
    probe = target if mount.source.is_dir() else target.parent
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        record(folder)
    if not mount.source.is_dir():
        target.touch()
        record(target)
