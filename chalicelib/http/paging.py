"""JFW paging and sorting over a list a single Query returned."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.http.errors import BadRequest

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000


def page(items: Iterable[dict], query: dict[str, Any], sortable: Iterable[str],
         default_sort: str = "createdDate",
         keyword_fields: Iterable[str] = ()) -> dict[str, Any]:
    """Filter by ``keywords``, sort, and cut one page: {items, totalItems, pageNumber, pageSize}."""
    number, size = _number_and_size(query)
    sort_field = query.get("sortDataField") or default_sort
    allowed = set(sortable) | {"id", "createdDate"}
    if sort_field not in allowed:
        raise BadRequest(f"sortDataField must be one of {', '.join(sorted(allowed))}.",
                         field="sortDataField")
    rows = list(items)
    words = (query.get("keywords") or "").lower().split()
    fields = list(keyword_fields)
    if words and fields:
        rows = [r for r in rows if all(any(w in str(r.get(f) or "").lower() for f in fields)
                                       for w in words)]
    reverse = query.get("sortOrder", "desc") == "desc"
    rows.sort(key=_sort_key(sort_field), reverse=reverse)
    start = number * size
    return {"items": rows[start:start + size], "totalItems": len(rows), "pageNumber": number,
            "pageSize": size}


def cut(rows: list[dict], query: dict[str, Any]) -> list[dict]:
    """One page of a plain array (JFW's array lists), only when ``pageNumber`` or ``pageSize``
    is sent; the rows as they are otherwise. Same bounds as ``page``."""
    if "pageNumber" not in query and "pageSize" not in query:
        return rows
    number, size = _number_and_size(query)
    return rows[number * size:(number + 1) * size]


def bounds(query: dict[str, Any]) -> tuple[int, int]:
    """``(pageNumber, pageSize)`` of the query, checked: for a lister that reads one page
    itself (from keys it can compute) instead of cutting a list."""
    return _number_and_size(query)


def _number_and_size(query: dict[str, Any]) -> tuple[int, int]:
    number = query.get("pageNumber", 0)
    size = query.get("pageSize", DEFAULT_PAGE_SIZE)
    if number < 0:
        raise BadRequest("pageNumber must be 0 or more.", field="pageNumber")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}.", field="pageSize")
    return number, size


def _sort_key(field: str) -> Callable[[dict], Any]:
    def key(row: dict) -> Any:
        v = row.get(field)
        # None sorts first ascending; mixed types compare as strings.
        return (v is not None, v if isinstance(v, (int, float)) else str(v or ""), row.get("id"))

    return key
