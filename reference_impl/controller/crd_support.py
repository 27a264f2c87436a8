"""Features the cluster's Gateway API CRDs can express: only those are advertised.

The standard channel's CRDs lack experimental fields (retries, CORS, parentRef ports, ...), and
the API server prunes what its schema does not know. A feature advertised there would be
tested and fail although the implementation is right, so the controller reads the CRDs at
start and leaves out every feature whose resource or field is missing. It then looks for
changed CRDs (a cheap metadata-only list) every few seconds, so installing another channel
while it runs changes what it advertises.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.kube_rest import KubeApiError, KubeRest

log = logging.getLogger(__name__)

FieldPath = tuple[str, ...]
FEATURE_FIELDS: dict[str, list[tuple[str, FieldPath]]] = {
    "GRPCRoute": [("grpcroutes", ())],
    "GRPCRouteNamedRouteRule": [("grpcroutes", ("rules", "name"))],
    "TLSRoute": [("tlsroutes", ())],
    "TLSRouteModeTerminate": [("tlsroutes", ())],
    "TLSRouteModeMixed": [("tlsroutes", ())],
    "BackendTLSPolicy": [("backendtlspolicies", ())],
    "BackendTLSPolicySANValidation": [("backendtlspolicies", ("validation", "subjectAltNames"))],
    "ListenerSet": [("listenersets", ()), ("gateways", ("allowedListeners",))],
    "HTTPRouteRetry": [("httproutes", ("rules", "retry"))],
    "HTTPRouteRetryBackendTimeout": [("httproutes", ("rules", "retry"))],
    "HTTPRouteRetryConnectionError": [("httproutes", ("rules", "retry"))],
    "HTTPRouteCORS": [("httproutes", ("rules", "filters", "cors"))],
    "HTTPRouteNamedRouteRule": [("httproutes", ("rules", "name"))],
    "HTTPRouteParentRefPort": [("httproutes", ("parentRefs", "port"))],
    "HTTPRouteDestinationPortMatching": [("httproutes", ("parentRefs", "port"))],
    "HTTPRouteRequestPercentageMirror": [
        ("httproutes", ("rules", "filters", "requestMirror", "percent"))
    ],
    "HTTPRouteRequestTimeout": [("httproutes", ("rules", "timeouts"))],
    "HTTPRouteBackendTimeout": [("httproutes", ("rules", "timeouts"))],
    "HTTPRouteBackendRequestHeaderModification": [
        ("httproutes", ("rules", "backendRefs", "filters"))
    ],
    "GatewayInfrastructurePropagation": [("gateways", ("infrastructure",))],
    "GatewayFrontendClientCertificateValidation": [("gateways", ("tls", "frontend"))],
    "GatewayFrontendClientCertificateValidationInsecureFallback": [
        ("gateways", ("tls", "frontend"))
    ],
    "GatewayBackendClientCertificate": [("gateways", ("tls", "backend"))],
    "GatewayStaticAddresses": [("gateways", ("addresses",))],
    "GatewayAddressEmpty": [("gateways", ("addresses",))],
}
"""What each feature needs: (CRD plural, field path under `spec`); () = the CRD itself."""


def spec_schema(crd: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The `spec` schema of the CRD's storage version."""
    for version in (crd.get("spec") or {}).get("versions") or ():
        if version.get("storage"):
            schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
            spec = (schema.get("properties") or {}).get("spec")
            return spec if isinstance(spec, Mapping) else None
    return None


def has_field(schema: Mapping[str, Any], path: FieldPath) -> bool:
    """Whether the schema holds the field path (list items are stepped through)."""
    node: Mapping[str, Any] = schema
    for name in path:
        while node.get("type") == "array" and isinstance(node.get("items"), Mapping):
            node = node["items"]
        child = (node.get("properties") or {}).get(name)
        if not isinstance(child, Mapping):
            return False
        node = child
    return True


def unserved_features(crds: Mapping[str, Mapping[str, Any]], features: Iterable[str]) -> set[str]:
    """Features (of those given) the CRDs cannot express; `crds` is keyed by plural."""
    missing: set[str] = set()
    for feature in features:
        for plural, path in FEATURE_FIELDS.get(feature, ()):
            crd = crds.get(plural)
            schema = spec_schema(crd) if crd is not None else None
            if schema is None or not has_field(schema, path):
                missing.add(feature)
                break
    return missing


CRD_PATH: Final = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
_METADATA_ONLY: Final = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
PLURALS: Final = frozenset(plural for needs in FEATURE_FIELDS.values() for plural, _ in needs)


def read_crds(rest: KubeRest, group: str = GATEWAY_GROUP) -> dict[str, Mapping[str, Any]] | None:
    """The installed Gateway API CRDs by plural; None when they cannot be read (RBAC)."""
    crds: dict[str, Mapping[str, Any]] = {}
    for plural in sorted(PLURALS):
        try:
            crds[plural] = rest.request("GET", f"{CRD_PATH}/{plural}.{group}")
        except KubeApiError as exc:
            if exc.status == 404:
                continue
            log.warning(
                "cannot read the Gateway API CRDs (%s); advertising every implemented feature",
                exc,
            )
            return None
    return crds


def crd_versions(rest: KubeRest, group: str = GATEWAY_GROUP) -> dict[str, str]:
    """resourceVersion of each installed Gateway API CRD that features depend on, by plural;
    from one metadata-only list. Raises KubeApiError when CRDs cannot be listed."""
    listed = rest.request("GET", CRD_PATH, accept=_METADATA_ONLY)
    versions: dict[str, str] = {}
    for item in listed.get("items") or ():
        meta = item.get("metadata") or {}
        plural, _, crd_group = str(meta.get("name") or "").partition(".")
        if crd_group == group and plural in PLURALS:
            versions[plural] = str(meta.get("resourceVersion"))
    return versions


class CrdFeatures:
    """The implemented features the installed CRDs cannot express, kept current."""

    def __init__(
        self, rest: KubeRest, implemented: Iterable[str], group: str = GATEWAY_GROUP
    ) -> None:
        self._rest = rest
        self._group = group
        self._implemented = frozenset(implemented)
        self._versions: dict[str, str] | None = None
        self._read = False
        self._list_failed = False
        self.unserved: frozenset[str] = frozenset()
        """Empty as well when the CRDs cannot be read: then every feature is advertised."""

    def refresh(self) -> bool:
        """Look at the CRDs (in full only when one changed); True when `unserved` changed."""
        try:
            versions: dict[str, str] | None = crd_versions(self._rest, self._group)
        except KubeApiError as exc:
            if not self._list_failed:
                log.warning("cannot list CRDs (%s); CRD changes are not followed", exc)
                self._list_failed = True
            if self._read:
                return False
            versions = None
        else:
            if self._read and versions == self._versions:
                return False
        crds = read_crds(self._rest, self._group)
        self._read, self._versions = True, versions
        unserved = (
            frozenset(unserved_features(crds, self._implemented))
            if crds is not None
            else frozenset()
        )
        changed, self.unserved = unserved != self.unserved, unserved
        return changed
