"""Names shared by the controller's modules: API groups, controller name, labels, ports."""

from __future__ import annotations

CONTROLLER_NAME = "gateway-harness.dev/reference-controller"
GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_VERSION = "v1"
REFERENCE_GRANT_VERSION = "v1beta1"

ADMIN_PORT = 19000
"""The proxy's admin port (bound on the pod IP); listeners may not use it."""

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "gateway-harness-reference-controller"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
"""Upstream's label for a Gateway's infrastructure (GatewayInfrastructure test reads it)."""
GATEWAY_KEY_LABEL = "gateway-harness.dev/gateway"
"""A hash of namespace/name: Gateway names may be longer than a label value allows."""
GATEWAY_NAMESPACE_ANNOTATION = "gateway-harness.dev/gateway-namespace"
GATEWAY_NAME_ANNOTATION = "gateway-harness.dev/gateway-name"

SKIP_READINESS_ANNOTATION = "gateway-api/skip-this-for-readiness"
