"""Routes: filled in by the work that owns this module."""

from chalicelib.http.routing import Route

ROUTES: list[Route] = []
