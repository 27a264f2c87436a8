"""What this implementation supports: the one place to change when the proxy learns more.

`SUPPORTED_FEATURES` is published in GatewayClass `status.supportedFeatures` (sorted); the
conformance suite infers the tests to run from it, so list only what the proxy implements.
Left out on purpose: GatewayStaticAddresses (the LB pool decides addresses), TLS/TCP/UDP/GRPC
routes, ListenerSet, BackendTLSPolicy, frontend/backend client certificates, the experimental
HTTPRouteRetry* and HTTPRouteDestinationPortMatching, backendRef-level URLRewrite/RequestRedirect.
"""

from __future__ import annotations

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
        # HTTPRoute extended, implemented by reference_impl/proxy
        "HTTPRouteBackendProtocolH2C",
        "HTTPRouteBackendProtocolWebSocket",
        "HTTPRouteBackendRequestHeaderModification",
        "HTTPRouteBackendTimeout",
        "HTTPRouteCORS",
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
        "HTTPRouteSchemeRedirect",
        "HTTPRoute303RedirectStatusCode",
        "HTTPRoute307RedirectStatusCode",
        "HTTPRoute308RedirectStatusCode",
    }
)

SUPPORTED_LISTENER_PROTOCOLS: frozenset[str] = frozenset({"HTTP", "HTTPS"})
ROUTE_KINDS_BY_PROTOCOL: dict[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute",),
    "HTTPS": ("HTTPRoute",),
}
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
PATH_MODIFIER_TYPES: frozenset[str] = frozenset({"ReplaceFullPath", "ReplacePrefixMatch"})
REDIRECT_SCHEMES: frozenset[str] = frozenset({"http", "https"})
REDIRECT_STATUS_CODES: frozenset[int] = frozenset({301, 302, 303, 307, 308})

BACKEND_APP_PROTOCOLS: frozenset[str | None] = frozenset(
    {None, "", "http", "HTTP", "kubernetes.io/h2c", "kubernetes.io/ws"}
)
"""Service port appProtocols the proxy speaks to a backend; others -> UnsupportedProtocol."""


def supported_features_status() -> list[dict[str, str]]:
    """GatewayClass status.supportedFeatures: sorted ascending by name."""
    return [{"name": name} for name in sorted(SUPPORTED_FEATURES)]
