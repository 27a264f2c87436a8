"""GRPCRoute rules: which match and filter values this implementation supports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reference_impl.controller.features import (
    GRPC_FILTER_TYPES,
    GRPC_HEADER_MATCH_TYPES,
    GRPC_METHOD_MATCH_TYPES,
)
from reference_impl.controller.route_rules import filters_problem


def grpc_rule_problem(rule: Mapping[str, Any]) -> str | None:
    """Why the proxy cannot implement this GRPCRoute rule (an UnsupportedValue), or None."""
    for match in rule.get("matches") or ():
        method = match.get("method")
        if method is not None:
            method_type = method.get("type", "Exact")
            if method_type not in GRPC_METHOD_MATCH_TYPES:
                return f"method match type {method_type!r} is not supported"
            if not method.get("service") and not method.get("method"):
                return "a method match needs a service, a method or both"
        for header in match.get("headers") or ():
            if header.get("type", "Exact") not in GRPC_HEADER_MATCH_TYPES:
                return f"header match type {header.get('type')!r} is not supported"
    problem = filters_problem(rule.get("filters") or (), GRPC_FILTER_TYPES, "rule")
    if problem:
        return problem
    for ref in rule.get("backendRefs") or ():
        problem = filters_problem(ref.get("filters") or (), GRPC_FILTER_TYPES, "backendRef")
        if problem:
            return problem
    return None
