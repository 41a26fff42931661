"""The OpenAPI 3.1 document, generated from the route table and the pydantic body schemas."""

from __future__ import annotations

from typing import Any

from chalicelib.http.routing import BINARY_TYPES, Route, resolve
from chalicelib.store.idempotency import MAX_KEY_LENGTH

_REF = "#/components/schemas/"

# JFW's envelope, one schema for a success and one for an error, so that a reply of either kind
# is checked for what it must carry.
_OK = {
    "type": "object",
    "required": ["success", "statusCode", "message", "data", "errors"],
    "properties": {
        "success": {"const": True},
        "statusCode": {"type": "integer"},
        "message": {"type": "string"},
        "data": {},
        "errors": {"type": "array", "maxItems": 0},
    },
}
_ERROR = {
    "type": "object",
    "required": ["success", "statusCode", "message", "data", "errors"],
    "properties": {
        "success": {"const": False},
        "statusCode": {"type": "integer", "minimum": 400},
        "message": {"type": "string"},
        "data": {"type": "null"},
        "errors": {"type": "array", "minItems": 1,
                   "items": {"$ref": _REF + "JFWError"}},
    },
}

_DATA = {
    "object": {"type": "object"},
    "array": {"type": "array", "items": {"type": "object"}},
    "strings": {"type": "array", "items": {"type": "string"}},
    "page": {"$ref": _REF + "ListData"},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "number": {"type": "number"},
}

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def statuses(r: Route) -> list[int]:
    """Every status ``r`` can answer: its success, each 4xx that a check of the pipeline
    (http/dispatch.py handle) implies for what the route declares, and its ``answers``."""
    out = {r.status, *r.answers}
    if r.brand or r.query or r.body or r.path_params:
        out.add(400)  # Brand-URL missing, a query parameter, the body, a path parameter
    if r.auth != "none":
        out.add(401)  # no, a wrong or another brand's Auth-Key
    if r.brand or r.permission or r.auth == "user":
        out.add(403)  # an inactive brand, a missing permission, another user's object
    if r.brand or r.path_params:
        out.add(404)  # an unknown brand or object
    if r.idempotent or (r.brand and r.method in WRITES):
        out.add(409)  # a duplicate, a changed or deleted object, a reused Idempotency-Key
    if r.method in WRITES:
        out.add(413)  # a body over MAX_BODY_BYTES
    if r.body:
        out.add(415)  # a body that is not JSON
    if r.returns in BINARY_TYPES:
        out.add(406)  # an Accept that names neither the file's type nor */*
    return sorted(out)


def document(routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, dict] = {}
    schemas: dict[str, Any] = {
        "JFWError": {"type": "object", "required": ["code", "message", "correlationId"],
                     "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                    "correlationId": {"type": "string"},
                                    "field": {"type": "string"}}},
        "ListData": {"type": "object", "required": ["items", "totalItems", "pageNumber",
                                                    "pageSize"],
                     "properties": {"items": {"type": "array", "items": {"type": "object"}},
                                    "totalItems": {"type": "integer"},
                                    "pageNumber": {"type": "integer"},
                                    "pageSize": {"type": "integer"}}},
        "Envelope": _OK,
        "ErrorEnvelope": _ERROR,
    }
    bodies = _body_schemas(routes, schemas)
    operation_ids: set[str] = set()
    for r in routes:
        op: dict[str, Any] = {
            "operationId": _operation_id(r, operation_ids),
            "summary": r.summary,
            "tags": [r.tag] if r.tag else [],
            "parameters": [],
            "responses": _responses(r),
        }
        if r.brand:
            op["parameters"].append({"name": "Brand-URL", "in": "header", "required": False,
                                     "schema": {"type": "string"},
                                     "description": "The brand's domain; Origin/Referer if empty."})
        if r.auth != "none":
            op["security"] = [{"AuthKey": []}]
        if r.permission:
            op["x-jfw-permission"] = r.permission
            op["description"] = f"Needs the permission `{r.permission}`."
        if r.idempotent:
            op["parameters"].append({
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                "description": "The same key with the same request replays the first answer "
                               "(Idempotent-Replayed: true); with another request it is a 409."})
        for p in r.path_params:
            op["parameters"].append({"name": p, "in": "path", "required": True,
                                     "schema": {"type": "string"}})
        for q in r.query:
            schema: dict[str, Any] = {"type": q.type}
            if q.type == "date-time":
                schema = {"type": "string", "format": "date-time"}
            elif q.type == "array":
                schema = {"type": "array", "items": {"type": "string"}}
            if q.enum:
                schema["enum"] = list(q.enum)
            op["parameters"].append({"name": q.name, "in": "query", "required": q.required,
                                     "schema": schema, "description": q.description})
        if r.body:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": bodies[r.body]}}}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "JFW Billing API", "version": "6.9.3",
                 "description": "JFW's REST surface (v6.9.3) as this server implements it."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"AuthKey": {"type": "apiKey", "in": "header",
                                            "name": "Auth-Key"}},
        },
    }


def _body_schemas(routes: list[Route], schemas: dict[str, Any]) -> dict[str, dict]:
    """Every body model in one pass, so pydantic names shared and clashing models consistently;
    their definitions join ``components.schemas``. Returns body ref -> schema ({"$ref": ...})."""
    from pydantic.json_schema import models_json_schema  # cold start

    refs = list(dict.fromkeys(r.body for r in routes if r.body))
    models = [resolve(ref) for ref in refs]
    keys, top = models_json_schema([(m, "validation") for m in dict.fromkeys(models)],
                                   ref_template=f"{_REF}{{model}}")
    for name, definition in top.get("$defs", {}).items():
        if name in schemas:
            raise ValueError(f"body schema name {name!r} clashes with a built-in schema")
        schemas[name] = definition
    return {ref: keys[(model, "validation")] for ref, model in zip(refs, models, strict=True)}


def _operation_id(r: Route, seen: set[str]) -> str:
    module, _, attr = r.handler.partition(":")
    base = f"{module.removeprefix('chalicelib.')}.{attr}"
    op_id, n = base, 1
    while op_id in seen:  # one handler serving two routes
        n += 1
        op_id = f"{base}_{n}"
    seen.add(op_id)
    return op_id


def _responses(r: Route) -> dict[str, Any]:
    error_content: dict[str, Any] = {"application/json": {"schema": {"$ref": _REF +
                                                                     "ErrorEnvelope"}}}
    if r.returns == "html":  # the page's own errors are pages; the pipeline's are JSON
        error_content["text/html"] = {"schema": {"type": "string"}}
    out: dict[str, Any] = {}
    for code in statuses(r):
        if 300 <= code < 400:
            out[str(code)] = {"description": "Redirect", "headers": {
                "Location": {"schema": {"type": "string"}, "required": True}}}
        elif code == r.status:
            out[str(code)] = _success(r)
        else:
            out[str(code)] = {"description": "JFW error envelope", "content": error_content}
    return out


def _success(r: Route) -> dict[str, Any]:
    if r.returns == "raw":
        return {"description": "The document itself (no envelope).",
                "content": {"application/json": {"schema": {"type": "object"}}}}
    if r.returns == "pdf":
        return {"description": "A PDF file's bytes (no envelope).",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}
    if r.returns == "csv":
        return {"description": "A CSV file (header row first).",
                "content": {"text/csv": {"schema": {"type": "string"}}}}
    if r.returns == "asset":
        return {"description": "A static file of the docs page, or the icon.",
                "content": {"text/javascript": {"schema": {"type": "string"}},
                            "text/css": {"schema": {"type": "string"}},
                            "image/svg+xml": {"schema": {"type": "string"}}}}
    if r.returns == "empty":
        return {"description": "No content."}
    if r.returns == "html":
        return {"description": "An HTML page.",
                "content": {"text/html": {"schema": {"type": "string"}}}}
    return {"description": "OK", "content": {"application/json": {"schema": {
        "allOf": [{"$ref": _REF + "Envelope"},
                  {"type": "object", "properties": {"data": _DATA[r.returns]}}]}}}}
