"""What this implementation supports: the one place to change when the proxy learns more.

`SUPPORTED_FEATURES` is published in GatewayClass `status.supportedFeatures` (sorted); the
conformance suite infers the tests to run from it, so list only what the proxy implements.
Left out on purpose: TCP/UDP routes, backendRef-level URLRewrite/RequestRedirect
(implemented by the proxy, but their features exist only after Gateway API v1.6).
GatewayStaticAddresses works where the load balancer honours `spec.loadBalancerIP` (the local
cluster's node agent does within its pool); elsewhere the Gateway reports AddressNotUsable.

GRPCRoute, TLSRoute and BackendTLSPolicy are computed by the controller but switched on only
through `DataPlaneSupport`: until the proxy serves them (`PROXY_SUPPORT`), listeners do not list
those kinds, tables carry no such entries and their features stay in `PENDING_PROXY_SUPPORT`.
"""

from __future__ import annotations

import dataclasses

SUPPORTED_FEATURES: frozenset[str] = frozenset(
    {
        # GATEWAY-HTTP core
        "Gateway",
        "HTTPRoute",
        "ReferenceGrant",
        # Gateway extended
        "GatewayPort8080",
        "GatewayHTTPListenerIsolation",
        "GatewayHTTPSListenerDetectMisdirectedRequests",
        "GatewayInfrastructurePropagation",
        "GatewayAddressEmpty",
        "GatewayStaticAddresses",
        "GatewayFrontendClientCertificateValidation",
        "GatewayFrontendClientCertificateValidationInsecureFallback",
        # ListenerSet listeners join their parent Gateway's proxy (listener_sets.py)
        "ListenerSet",
        # HTTPRoute extended, implemented by reference_impl/proxy
        "HTTPRouteBackendProtocolH2C",
        "HTTPRouteBackendProtocolWebSocket",
        "HTTPRouteBackendRequestHeaderModification",
        "HTTPRouteBackendTimeout",
        "HTTPRouteCORS",
        "HTTPRouteDestinationPortMatching",
        "HTTPRouteHostRewrite",
        "HTTPRouteMethodMatching",
        "HTTPRouteNamedRouteRule",
        "HTTPRouteParentRefPort",
        "HTTPRoutePathRedirect",
        "HTTPRoutePathRewrite",
        "HTTPRoutePortRedirect",
        "HTTPRouteQueryParamMatching",
        "HTTPRouteRequestMirror",
        "HTTPRouteRequestMultipleMirrors",
        "HTTPRouteRequestPercentageMirror",
        "HTTPRouteRequestTimeout",
        "HTTPRouteResponseHeaderModification",
        "HTTPRouteRetry",
        "HTTPRouteRetryBackendTimeout",
        "HTTPRouteRetryConnectionError",
        "HTTPRouteSchemeRedirect",
        "HTTPRoute303RedirectStatusCode",
        "HTTPRoute307RedirectStatusCode",
        "HTTPRoute308RedirectStatusCode",
    }
)


@dataclasses.dataclass(frozen=True)
class DataPlaneSupport:
    """What the proxy serves beyond HTTPRoute: the one switch for GRPCRoute, TLSRoute and TLS."""

    route_kinds: frozenset[str]
    """Route kinds the proxy accepts in a table (listeners advertise only these)."""
    tls_listener_modes: frozenset[str]
    """`tls.mode` values of protocol TLS listeners the proxy serves (empty: TLS unsupported)."""
    backend_tls: bool
    """Whether the proxy originates TLS to backends (Backend.tls, BackendTLSPolicy)."""
    tls_mixed_modes: bool = False
    """Whether TLS Passthrough and Terminate listeners may share a port (told apart by SNI)."""


PROXY_SUPPORT = DataPlaneSupport(
    route_kinds=frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"}),
    tls_listener_modes=frozenset({"Passthrough", "Terminate"}),
    backend_tls=True,
    tls_mixed_modes=True,
)
"""What reference_impl/proxy serves today; widen it (nothing else) when the proxy learns more."""

FULL_SUPPORT = DataPlaneSupport(
    route_kinds=frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"}),
    tls_listener_modes=frozenset({"Passthrough", "Terminate"}),
    backend_tls=True,
    tls_mixed_modes=True,
)
"""Everything the controller can compute (routing_table.md documents its table shape)."""

PENDING_PROXY_SUPPORT: frozenset[str] = frozenset(
    {
        "GRPCRoute",
        "GRPCRouteNamedRouteRule",
        "TLSRoute",
        "TLSRouteModeTerminate",
        "TLSRouteModeMixed",
        "BackendTLSPolicy",
        "BackendTLSPolicySANValidation",
        "GatewayBackendClientCertificate",
    }
)
"""Features the controller implements that are advertised once the proxy serves them."""

BASE_LISTENER_PROTOCOLS: frozenset[str] = frozenset({"HTTP", "HTTPS"})
ROUTE_KINDS_BY_PROTOCOL: dict[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
}
"""Route kinds compatible with each listener protocol (before DataPlaneSupport filters them)."""


def listener_protocols(support: DataPlaneSupport) -> frozenset[str]:
    """Listener protocols accepted: HTTP and HTTPS, plus TLS once the proxy serves a TLS mode."""
    return BASE_LISTENER_PROTOCOLS | ({"TLS"} if support.tls_listener_modes else set())


def route_kinds_for(protocol: str, support: DataPlaneSupport) -> tuple[str, ...]:
    """Route kinds a listener of that protocol admits with this data plane."""
    return tuple(k for k in ROUTE_KINDS_BY_PROTOCOL.get(protocol, ()) if k in support.route_kinds)


def supported_features(support: DataPlaneSupport) -> frozenset[str]:
    """SUPPORTED_FEATURES plus the pending features this data plane really serves."""
    extra: set[str] = set()
    if "GRPCRoute" in support.route_kinds:
        extra |= {"GRPCRoute", "GRPCRouteNamedRouteRule"}
    if "TLSRoute" in support.route_kinds and "Passthrough" in support.tls_listener_modes:
        extra.add("TLSRoute")
    if "TLSRoute" in support.route_kinds and "Terminate" in support.tls_listener_modes:
        extra.add("TLSRouteModeTerminate")
    if (
        "TLSRoute" in support.route_kinds
        and {"Passthrough", "Terminate"} <= support.tls_listener_modes
        and support.tls_mixed_modes
    ):
        extra.add("TLSRouteModeMixed")
    if support.backend_tls:
        extra |= {"BackendTLSPolicy", "BackendTLSPolicySANValidation"}
        extra.add("GatewayBackendClientCertificate")
    return SUPPORTED_FEATURES | (extra & PENDING_PROXY_SUPPORT)


SUPPORTED_ADDRESS_TYPES: frozenset[str] = frozenset({"IPAddress"})

PATH_MATCH_TYPES: frozenset[str] = frozenset({"Exact", "PathPrefix", "RegularExpression"})
HEADER_MATCH_TYPES: frozenset[str] = frozenset({"Exact", "RegularExpression"})
QUERY_MATCH_TYPES: frozenset[str] = frozenset({"Exact", "RegularExpression"})
HTTP_METHODS: frozenset[str] = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
RULE_FILTER_TYPES: frozenset[str] = frozenset(
    {
        "RequestHeaderModifier",
        "ResponseHeaderModifier",
        "RequestRedirect",
        "URLRewrite",
        "RequestMirror",
        "CORS",
    }
)
BACKEND_FILTER_TYPES: frozenset[str] = RULE_FILTER_TYPES
GRPC_METHOD_MATCH_TYPES: frozenset[str] = frozenset({"Exact", "RegularExpression"})
GRPC_HEADER_MATCH_TYPES: frozenset[str] = frozenset({"Exact", "RegularExpression"})
GRPC_FILTER_TYPES: frozenset[str] = frozenset(
    {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror"}
)
"""GRPCRoute filters (rule and backendRef level); ExtensionRefs are unresolvable as for HTTP."""
WELL_KNOWN_CA_CERTIFICATES: frozenset[str] = frozenset({"System"})
PATH_MODIFIER_TYPES: frozenset[str] = frozenset({"ReplaceFullPath", "ReplacePrefixMatch"})
REDIRECT_SCHEMES: frozenset[str] = frozenset({"http", "https"})
REDIRECT_STATUS_CODES: frozenset[int] = frozenset({301, 302, 303, 307, 308})

BACKEND_APP_PROTOCOLS: frozenset[str | None] = frozenset(
    {None, "", "http", "HTTP", "kubernetes.io/h2c", "kubernetes.io/ws"}
)
"""Service port appProtocols the proxy speaks to a backend; others -> UnsupportedProtocol."""
GRPC_BACKEND_APP_PROTOCOLS: frozenset[str | None] = frozenset({None, "", "kubernetes.io/h2c"})
TLS_BACKEND_APP_PROTOCOLS: frozenset[str | None] = frozenset({"https", "HTTPS"})
"""appProtocols that mean TLS to the backend: served only with a usable BackendTLSPolicy."""
"""gRPC needs HTTP/2: GRPCRoute backends are dialled h2c (h2 over TLS with a BackendTLSPolicy)."""


def supported_features_status(support: DataPlaneSupport = PROXY_SUPPORT) -> list[dict[str, str]]:
    """GatewayClass status.supportedFeatures: sorted ascending by name."""
    return [{"name": name} for name in sorted(supported_features(support))]
