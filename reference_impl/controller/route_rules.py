"""HTTPRoute rules: which values this implementation supports, and the refs a rule holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reference_impl.controller.features import (
    BACKEND_FILTER_TYPES,
    HEADER_MATCH_TYPES,
    HTTP_METHODS,
    PATH_MATCH_TYPES,
    PATH_MODIFIER_TYPES,
    QUERY_MATCH_TYPES,
    REDIRECT_SCHEMES,
    REDIRECT_STATUS_CODES,
    RULE_FILTER_TYPES,
)


def rule_problem(rule: Mapping[str, Any]) -> str | None:
    """Why the proxy cannot implement this rule (an UnsupportedValue), or None."""
    for match in rule.get("matches") or ():
        problem = _match_problem(match)
        if problem:
            return problem
    problem = filters_problem(rule.get("filters") or (), RULE_FILTER_TYPES, "rule")
    if problem:
        return problem
    for ref in rule.get("backendRefs") or ():
        problem = filters_problem(ref.get("filters") or (), BACKEND_FILTER_TYPES, "backendRef")
        if problem:
            return problem
    return None


def _match_problem(match: Mapping[str, Any]) -> str | None:
    path_type = (match.get("path") or {}).get("type", "PathPrefix")
    if path_type not in PATH_MATCH_TYPES:
        return f"path match type {path_type!r} is not supported"
    for header in match.get("headers") or ():
        if header.get("type", "Exact") not in HEADER_MATCH_TYPES:
            return f"header match type {header.get('type')!r} is not supported"
    for param in match.get("queryParams") or ():
        if param.get("type", "Exact") not in QUERY_MATCH_TYPES:
            return f"query parameter match type {param.get('type')!r} is not supported"
    method = match.get("method")
    if method is not None and method not in HTTP_METHODS:
        return f"method {method!r} is not supported"
    return None


def filters_problem(
    filters: Sequence[Mapping[str, Any]], allowed: frozenset[str], where: str
) -> str | None:
    for item in filters:
        ftype = item.get("type")
        if ftype == "ExtensionRef":
            continue  # unresolvable, not unsupported: reported as ResolvedRefs and answered 500
        if ftype not in allowed:
            return f"{where} filter type {ftype!r} is not supported"
        if ftype in ("RequestHeaderModifier", "ResponseHeaderModifier"):
            key = (
                "requestHeaderModifier"
                if ftype == "RequestHeaderModifier"
                else ("responseHeaderModifier")
            )
            problem = _header_filter_problem(item.get(key) or {})
            if problem:
                return problem
        if ftype == "RequestRedirect":
            redirect = item.get("requestRedirect") or {}
            scheme = redirect.get("scheme")
            if scheme is not None and scheme not in REDIRECT_SCHEMES:
                return f"redirect scheme {scheme!r} is not supported"
            code = redirect.get("statusCode", 302)
            if code not in REDIRECT_STATUS_CODES:
                return f"redirect statusCode {code!r} is not supported"
            problem = _path_modifier_problem(redirect.get("path"))
            if problem:
                return problem
        if ftype == "URLRewrite":
            problem = _path_modifier_problem((item.get("urlRewrite") or {}).get("path"))
            if problem:
                return problem
    return None


def _header_filter_problem(spec: Mapping[str, Any]) -> str | None:
    seen: set[str] = set()
    names = [h.get("name", "") for h in spec.get("set") or ()]
    names += [h.get("name", "") for h in spec.get("add") or ()]
    names += list(spec.get("remove") or ())
    for name in names:
        folded = str(name).lower()
        if folded in seen:
            return f"header {name!r} appears in more than one action of a header filter"
        seen.add(folded)
    return None


def _path_modifier_problem(path: Mapping[str, Any] | None) -> str | None:
    if path is not None and path.get("type") not in PATH_MODIFIER_TYPES:
        return f"path modifier type {path.get('type')!r} is not supported"
    return None


def extension_refs(rule: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """ExtensionRef filters of a rule and of its backendRefs (none are supported)."""
    for item in rule.get("filters") or ():
        if item.get("type") == "ExtensionRef":
            yield item.get("extensionRef") or {}
    for ref in rule.get("backendRefs") or ():
        for item in ref.get("filters") or ():
            if item.get("type") == "ExtensionRef":
                yield item.get("extensionRef") or {}


def mirror_refs(filters: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """backendRefs of RequestMirror filters in that list."""
    for item in filters:
        if item.get("type") == "RequestMirror":
            ref = (item.get("requestMirror") or {}).get("backendRef")
            if ref:
                yield ref


def all_backend_refs(rule: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every Service reference of a rule: backendRefs and mirror targets at both levels."""
    for ref in rule.get("backendRefs") or ():
        yield ref
    yield from mirror_refs(rule.get("filters") or ())
    for ref in rule.get("backendRefs") or ():
        yield from mirror_refs(ref.get("filters") or ())
