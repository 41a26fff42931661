"""Registers route tables on the Chalice app and runs every request through one pipeline:

brand -> caller -> permission -> query -> body -> handler -> envelope.

A route declared ``idempotent=True`` runs its handler under the request's ``Idempotency-Key``
(store/idempotency.py): the same key with the same request answers the first answer again, with
``Idempotent-Replayed: true``; the same key with another request is a 409.

Any ``ApiError`` becomes its 4xx envelope; anything else is a logged 500 (a bug).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chalice import CORSConfig, Response

from chalicelib import settings
from chalicelib.http import envelope
from chalicelib.http.errors import (
    ApiError,
    BadRequest,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from chalicelib.http.routing import BINARY_TYPES, Q, Route, resolve
from chalicelib.store import idempotency

log = logging.getLogger("jfw.http")

MAX_BODY_BYTES = 256 * 1024
# JFW's deepest body (a brand's settings) nests a handful of levels; far deeper JSON is an attack
# on the parser's recursion (about 1,000 levels raise RecursionError), refused before parsing.
MAX_JSON_DEPTH = 32
ALLOWED_HEADERS = ["Brand-URL", "Auth-Key", "X-Current-URL", "Content-Type", "Idempotency-Key",
                   "X-Device-Code"]
CORS = CORSConfig(allow_origin="*", allow_headers=ALLOWED_HEADERS,
                  expose_headers=["X-Correlation-Id", "Content-Disposition"], max_age=600)


# Every path answers every method, so a wrong method gets a JFW 405 envelope (with Allow)
# instead of the gateway's own error. OPTIONS stays with Chalice/API Gateway (CORS preflight).
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
# Unknown paths get a JFW 404 envelope: the root, and any depth below these prefixes (API
# Gateway's {proxy+} is greedy; http/localgateway.py makes Chalice's local gateway agree).
CATCH_ALL = ("/", "/{proxy+}", "/api/{proxy+}", "/api/v1/{proxy+}")


API_PREFIX = "/api"


def mounted_path(path: str, stage: str) -> str:
    """The path a canonical route (``/api/v1/...``) is registered at on the Chalice app.

    JFW clients use the base URL ``https://<host>/api`` and paths ``v1/...``. Deployed, API
    Gateway's stage (``api``, .chalice/config.json) already supplies the ``/api`` segment, so the
    route is mounted without it (``https://<id>.execute-api.../api/v1/...``, not ``/api/api/v1``).
    Locally nothing supplies it, so the route keeps it. Route tables, the OpenAPI document and
    the link builders (``settings.base_url`` + canonical path) always use the canonical path.
    """
    if stage in settings.LOCAL_STAGES:
        return path
    if path == API_PREFIX:  # the stage's root
        return "/"
    if not path.startswith(API_PREFIX + "/"):
        return path
    return path[len(API_PREFIX):]


def register(app: Any, routes: Iterable[Route], stage: str) -> None:
    by_path: dict[str, dict[str, Route]] = {}
    for r in routes:
        if r.enabled_in(stage):
            by_path.setdefault(r.path, {})[r.method] = r
            media = BINARY_TYPES.get(r.returns)
            if media and media not in app.api.binary_types:
                app.api.binary_types.append(media)  # Chalice base64-encodes these replies
    for path, methods in by_path.items():
        app.route(mounted_path(path, stage), methods=list(HTTP_METHODS), cors=CORS,
                  content_types=["*/*"], name=f"{path}")(_view(app, methods))
    mounted = {mounted_path(path, stage) for path in by_path}
    for path in CATCH_ALL:
        at = mounted_path(path, stage)
        if at not in mounted:  # deployed, /{proxy+} and /api/{proxy+} are one resource
            mounted.add(at)
            app.route(at, methods=list(HTTP_METHODS), cors=CORS, content_types=["*/*"],
                      name=path)(_view(app, {}))
    if stage in settings.LOCAL_STAGES:
        from chalicelib.http import localgateway  # cold start

        localgateway.install()


def _view(app: Any, methods: dict[str, Route]):
    def view(**path_params: str) -> Response:
        request = app.current_request
        route = methods.get(request.method)
        if route is None:
            return _no_route(request, methods)
        return handle(route, request, path_params)

    return view


def _no_route(request: Any, methods: dict[str, Route]) -> Response:
    ctx_info = request.context or {}
    correlation_id = ctx_info.get("requestId") or _new_correlation_id()
    path = ctx_info.get("path") or request.path
    if methods:
        allowed = ", ".join(sorted(methods))
        err: ApiError = MethodNotAllowed(f"{request.method} is not allowed on {path}; use "
                                         f"{allowed}.", headers={"Allow": allowed})
    else:
        err = NotFound(f"There is no route {request.method} {path}; GET /api/v1/openapi.json "
                       "lists every route.", code="ROUTE_NOT_FOUND")
    return _json_response(err.status, envelope.error(err.status, err.code, err.message,
                                                     correlation_id), correlation_id, err.headers)


def _new_correlation_id() -> str:
    # Not uuid: importing it costs more at cold start than the id is worth.
    return os.urandom(16).hex()


def _json_response(status: int, body: dict, correlation_id: str,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=envelope.dumps(body),
        status_code=status,
        headers={"Content-Type": "application/json", "X-Correlation-Id": correlation_id,
                 **(headers or {})},
    )


def handle(route: Route, request: Any, path_params: dict[str, str]) -> Response:
    ctx_info = request.context or {}
    correlation_id = ctx_info.get("requestId") or _new_correlation_id()
    try:
        # A GET's body means nothing here (none is read), so its size can't matter either.
        raw = (request.raw_body or b"") if request.method != "GET" else b""
        if isinstance(raw, str):
            raw = raw.encode()
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes.")
        headers = {k.lower(): v for k, v in (request.headers or {}).items()}
        # Deferred: queue consumers and schedules import this module too and never need it.
        from chalicelib.http.context import RequestContext

        ctx = RequestContext(
            method=request.method,
            path=route.path,
            headers=headers,
            query={},
            raw_body=raw,
            correlation_id=correlation_id,
            source_ip=(ctx_info.get("identity") or {}).get("sourceIp"),
        )
        if route.brand or route.auth != "none" or route.permission:
            # Deferred: access pulls in the storage layer, which health and the like never need.
            from chalicelib.identity import service as identity

            if route.brand:
                ctx.brand = identity.resolve_brand(headers)
            if route.auth != "none":
                ctx.caller = identity.authenticate(ctx, required=route.auth == "user")
            if route.permission:
                identity.require_permission(ctx, route.permission)
        # After the brand and the caller: a 401 or 403 comes before any complaint about input.
        ctx.query = parse_query(route.query, request.query_params or {})
        if route.body:
            ctx.body = parse_body(route.body, raw, headers.get("content-type"))
        if route.idempotent:
            result, replayed = _idempotent(route, ctx, path_params)
            if replayed:
                return _json_response(200, envelope.ok(result), correlation_id,
                                      {"Idempotent-Replayed": "true"})
        else:
            result = resolve(route.handler)(ctx, **path_params)
        if route.returns in BINARY_TYPES:  # after the handler: its 404 or 403 comes first
            check_accept(headers.get("accept"), BINARY_TYPES[route.returns])
        if isinstance(result, Response):
            result.headers.setdefault("X-Correlation-Id", correlation_id)
            return result
        return _json_response(route.status, envelope.ok(result, route.status), correlation_id)
    except ApiError as e:
        return _json_response(e.status, envelope.error(e.status, e.code, e.message,
                                                       correlation_id, e.field),
                              correlation_id, e.headers)
    except Exception:
        log.exception("unhandled error on %s %s (%s)", route.method, route.path, correlation_id)
        return _json_response(500, envelope.error(500, "INTERNAL_ERROR",
                                                  "Internal error; quote the correlation id.",
                                                  correlation_id), correlation_id)


def _idempotent(route: Route, ctx: Any, path_params: dict[str, str]) -> tuple[Any, bool]:
    """``(answer, replayed)`` of an idempotent route's handler, under the caller's key."""
    assert ctx.caller is not None
    key = idempotency.key_of(ctx.headers)
    body = ctx.body.model_dump(mode="json") if ctx.body is not None else None
    request = idempotency.fingerprint(ctx.method, ctx.path, path_params, ctx.query, body)
    return idempotency.run(idempotency.ROUTE_TABLE, ctx.brand_id, ctx.caller.user_id, key,
                           request, lambda: resolve(route.handler)(ctx, **path_params))


# -- input -------------------------------------------------------------------------------------

def check_accept(accept: str | None, media: str) -> None:
    """A reply of bytes needs ``Accept`` to name its type or ``*/*`` (browsers and JFW's SDK
    send ``*/*``): Chalice would refuse to send it with a bare 400, so it is answered here, with
    a reason."""
    if accept and ("*/*" in accept or media in {p.strip().lower()
                                                for p in re.split(r"[,;]", accept)}):
        return
    raise NotAcceptable(f"This route answers {media}: send Accept: {media} (or */*).")


_INDEXED = re.compile(r"^(?P<name>[^\[]+)\[(?P<i>\d*)\]$")


def parse_query(spec: tuple[Q, ...], params: Any) -> dict[str, Any]:
    """Parse declared query parameters; undeclared ones are ignored, as JFW clients send extras.

    Arrays arrive as axios sends them (``ids[0]=a&ids[1]=b``), repeated, or comma-separated.
    """
    getlist = getattr(params, "getlist", None)
    raw: dict[str, list[str]] = {}
    for key in list(params.keys()):
        values = getlist(key) if getlist else [params[key]]
        m = _INDEXED.match(key)
        raw.setdefault(m.group("name") if m else key, []).extend(values)
    out: dict[str, Any] = {}
    for q in spec:
        values = [v for v in raw.get(q.name, []) if v not in ("", "null", "undefined")]
        if not values:
            if q.required:
                raise BadRequest(f"Query parameter '{q.name}' is required.", field=q.name)
            continue
        out[q.name] = _convert(q, values)
    return out


def _convert(q: Q, values: list[str]) -> Any:
    if q.type == "array":
        return [part for v in values for part in v.split(",") if part]
    value = values[-1]
    try:
        if q.type == "integer":
            return int(value)
        if q.type == "number":
            number = parse_number(value)
            if not number.is_finite():
                raise ValueError
            return number
        if q.type == "boolean":
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return value.lower() in ("true", "1")
        if q.type == "date-time":
            return _parse_datetime(value)
    except ValueError:
        raise BadRequest(f"Query parameter '{q.name}' must be a valid {q.type}; got '{value}'.",
                         field=q.name) from None
    if q.enum and value not in q.enum:
        lowered = {e.lower(): e for e in q.enum}
        if value.lower() not in lowered:
            raise BadRequest(f"Query parameter '{q.name}' must be one of {', '.join(q.enum)}.",
                             field=q.name)
        value = lowered[value.lower()]
    return value


def _parse_datetime(value: str) -> datetime:

    v = value.strip().replace(" ", "T", 1).replace("Z", "+00:00")
    dt = datetime.fromisoformat(v)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# Longest number taken, written out: Python's own limit for int("...") (json.loads' integers).
MAX_NUMBER_DIGITS = 4300


def parse_number(text: str) -> Decimal:
    """A number as an exact ``Decimal``, never a float (9.990000000000000000001 stays itself).

    Refused (ValueError) past MAX_NUMBER_DIGITS digits written out: pydantic's int check on
    1e-999999999 would spin for minutes. NaN and Infinity come back as such; the schema or
    ``money.to_minor`` refuses them naming the field."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text[:20]!r} is not a number") from None
    if value.is_finite() and (value.adjusted() >= MAX_NUMBER_DIGITS
                              or value.as_tuple().exponent < -MAX_NUMBER_DIGITS):
        raise ValueError(f"numbers may have at most {MAX_NUMBER_DIGITS} digits")
    return value


def parse_body(schema_ref: str, raw: bytes, content_type: str | None) -> Any:
    from pydantic import ValidationError  # cold start

    model = resolve(schema_ref)
    if content_type and not is_json_media_type(content_type) and raw.strip():
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    check_json_depth(raw)
    try:
        data = json.loads(raw, parse_float=parse_number,
                          parse_constant=parse_number) if raw.strip() else None
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"The body is not valid JSON: {e}.", code="MALFORMED_JSON") from None
    if data is None:
        data = {} if not getattr(model, "__jfw_list__", False) else []
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "root") or "body"
        msg = first["msg"]
        if first["type"] == "missing":
            msg = "is required"
        raise BadRequest(f"{where}: {msg}.", code="VALIDATION_ERROR", field=where) from None


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or any ``type/subtype+json``, parameters (charset) allowed."""
    media = content_type.split(";", 1)[0].strip().lower()
    kind, slash, subtype = media.partition("/")
    if not slash or not kind or "/" in subtype:
        return False
    return media == "application/json" or (subtype.endswith("+json") and subtype != "+json")


_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_json_depth(raw: bytes) -> None:
    """400 when arrays and objects nest deeper than MAX_JSON_DEPTH; strings don't count."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for m in _JSON_TOKEN.finditer(raw):
        token = m.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise BadRequest(f"The body's JSON nests deeper than {MAX_JSON_DEPTH} levels.",
                                 code="JSON_TOO_DEEP")
        elif token in (b"]", b"}"):
            depth -= 1
