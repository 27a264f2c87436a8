"""Run-specific rewrites of scenario manifests (upstream's Applier options)."""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

Obj = dict[str, Any]
USABLE = "PLACEHOLDER_USABLE_ADDRS"
UNUSABLE = "PLACEHOLDER_UNUSABLE_ADDRS"


def address_entry(value: str) -> Obj:
    """A Gateway spec.addresses entry: IPAddress when ``value`` parses as one, else Hostname."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return {"type": "Hostname", "value": value}
    return {"type": "IPAddress", "value": value}


@dataclasses.dataclass(frozen=True)
class Rewrites:
    """What the run changes in every manifest it applies."""

    usable_addresses: Sequence[str] = ()
    unusable_addresses: Sequence[str] = ()
    namespace_labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    namespace_annotations: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def apply(self, objects: Sequence[Obj]) -> list[Obj]:
        """Copies of ``objects`` with placeholders and namespace metadata filled in."""
        out = []
        for original in objects:
            obj = copy.deepcopy(original)
            if obj.get("kind") == "Namespace" and obj.get("apiVersion") == "v1":
                meta = obj.setdefault("metadata", {})
                if self.namespace_labels:
                    meta["labels"] = {**(meta.get("labels") or {}), **self.namespace_labels}
                if self.namespace_annotations:
                    meta["annotations"] = {
                        **(meta.get("annotations") or {}),
                        **self.namespace_annotations,
                    }
            if obj.get("kind") == "Gateway":
                spec = obj.get("spec") or {}
                if spec.get("addresses"):
                    spec["addresses"] = self._addresses(spec["addresses"])
            out.append(obj)
        return out

    def _addresses(self, entries: Sequence[Obj]) -> list[Obj]:
        result: list[Obj] = []
        for entry in entries:
            value = entry.get("value")
            if value == USABLE:
                result.extend(address_entry(a) for a in self.usable_addresses)
            elif value == UNUSABLE:
                result.extend(address_entry(a) for a in self.unusable_addresses)
            else:
                result.append(entry)
        return result


def parse_key_values(text: str, flag: str) -> dict[str, str]:
    """``"k=v,k2=v2"`` → dict; ValueError naming ``flag`` on a malformed item."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag}: {item!r} is not key=value (e.g. istio-injection=enabled)")
        out[key.strip()] = value.strip()
    return out
