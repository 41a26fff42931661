"""API Gateway's greedy ``{proxy+}`` for Chalice's local gateway (``chalice local``, the local
stack and ``chalice.test.Client``).

API Gateway matches ``/v1/{proxy+}`` against any path below ``/v1/`` when no more specific
resource exists, which is how unknown paths get the JFW 404 envelope when deployed. Chalice's
local gateway treats ``{proxy+}`` as one segment, so a deeper unknown path found no route and
answered its own 403 ``{"message": "Missing Authentication Token"}``. This teaches the local
matcher the same rule: a route of the same length first (Chalice's order, which puts a literal
segment before a ``{param}`` under the same parent, as API Gateway does), then the greedy route
with the longest matching prefix. Installed for the local stages only (dispatch.register): a
Lambda never imports chalice.local.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

_installed = False


def install() -> None:
    """Patch ``chalice.local.RouteMatcher`` once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from chalice import local  # cold start

    chalice_match = local.RouteMatcher.match_route

    def match_route(self: Any, url: str) -> Any:
        try:
            return chalice_match(self, url)
        except ValueError:
            found = greedy_match(self.route_urls, url)
            if found is None:
                raise
            route, captured = found
            query = parse_qs(urlparse(url).query, keep_blank_values=True)
            return local.MatchResult(route, captured, query)

    local.RouteMatcher.match_route = match_route
    _installed = True


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
