"""API Gateway's greedy ``{proxy+}`` for Chalice's local gateway (``chalice local``, the local
stack and ``chalice.test.Client``).

API Gateway matches ``/v1/{proxy+}`` against any path below ``/v1/`` when no more specific
resource exists, which is how unknown paths get the JFW 404 envelope when deployed. Chalice's
local gateway treats ``{proxy+}`` as one segment, so a deeper unknown path found no route and
answered its own 403 ``{"message": "Missing Authentication Token"}``. This teaches the local
matcher the same rule: a route of the same length first (Chalice's order, which puts a literal
segment before a ``{param}`` under the same parent, as API Gateway does), then the greedy route
with the longest matching prefix. The routes are a tree built once per matcher, not split on
every request in a scan of them all as Chalice's matcher does (most of the test client's
time). Installed for the local stages only (dispatch.register): a Lambda never imports
chalice.local.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

_installed = False
chalice_match_route: Any = None  # Chalice's own matcher, kept for the tests to compare with


def install() -> None:
    """Patch ``chalice.local.RouteMatcher`` once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from chalice import local  # cold start

    global chalice_match_route
    chalice_match_route = local.RouteMatcher.match_route

    def match_route(self: Any, url: str) -> Any:
        parsed = urlparse(url)
        query = parse_qs(parsed.query, keep_blank_values=True)
        found = exact_match(_tree(self), parsed.path) or greedy_match(self.route_urls, url)
        if found is None:
            raise ValueError(f"No matching route found for: {url}")
        route, captured = found
        return local.MatchResult(route, captured, query)

    local.RouteMatcher.match_route = match_route
    _installed = True


class _Node:
    """One segment level of the route table: literal children, at most one ``{param}`` child
    (API Gateway allows no more; tests/unit/test_dispatch_mount.py checks the app's table), and
    the route that ends here."""

    __slots__ = ("literal", "param", "route")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: tuple[str, _Node] | None = None
        self.route: str | None = None


def _tree(matcher: Any) -> _Node:
    """The matcher's routes as a tree, built once per matcher: Chalice's own matcher split every
    route on every request, in a scan of all of them."""
    root = matcher.__dict__.get("_jfw_tree")
    if root is None:
        root = _Node()
        for route in matcher.route_urls:
            node = root
            for segment in route.split("/"):
                if segment.startswith("{") and segment.endswith("}"):
                    if node.param is None:
                        node.param = (segment[1:-1], _Node())
                    node = node.param[1]
                else:
                    node = node.literal.setdefault(segment, _Node())
            if node.route is None:
                node.route = route
        matcher._jfw_tree = root
    return root


def exact_match(root: _Node, path: str) -> tuple[str, dict[str, str]] | None:
    """Chalice's rule: of the routes with as many segments as ``path``, the first in sorted
    order whose literal segments are equal, each ``{name}`` capturing one segment (API Gateway
    removes a trailing slash first). A literal sorts before ``{``, so trying a level's literal
    child before its parameter finds that same route."""
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    return _walk(root, path.split("/"), 0)


def _walk(node: _Node, parts: list[str], i: int) -> tuple[str, dict[str, str]] | None:
    if i == len(parts):
        return (node.route, {}) if node.route is not None else None
    child = node.literal.get(parts[i])
    if child is not None:
        found = _walk(child, parts, i + 1)
        if found is not None:
            return found
    if node.param is not None:
        name, child = node.param
        found = _walk(child, parts, i + 1)
        if found is not None:
            found[1][name] = parts[i]
            return found
    return None


def greedy_match(route_urls: list[str], url: str) -> tuple[str, dict[str, str]] | None:
    """The ``{name+}`` route with the longest prefix matching ``url``, and its captures."""
    path = urlparse(url).path
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    parts = path.split("/")
    best: tuple[str, dict[str, str]] | None = None
    best_len = -1
    for route in route_urls:
        segments = route.split("/")
        last = segments[-1]
        if not (last.startswith("{") and last.endswith("+}")):
            continue
        prefix = segments[:-1]
        if len(parts) <= len(prefix) or len(prefix) <= best_len:
            continue  # {proxy+} takes one segment at least
        captured: dict[str, str] = {}
        for have, want in zip(parts, prefix, strict=False):
            if want.startswith("{") and want.endswith("}"):
                captured[want[1:-1]] = have
            elif have != want:
                break
        else:
            captured[last[1:-2]] = "/".join(parts[len(prefix):])
            best, best_len = (route, captured), len(prefix)
    return best
