"""The OpenAPI 3.1 document, generated from the route table and the pydantic body schemas."""

from __future__ import annotations

from typing import Any

from chalicelib.http.routing import Route, resolve

_ENVELOPE = {
    "type": "object",
    "required": ["success", "statusCode", "message", "data", "errors"],
    "properties": {
        "success": {"type": "boolean"},
        "statusCode": {"type": "integer"},
        "message": {"type": "string"},
        "data": {},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/JFWError"}},
    },
}

_REF = "#/components/schemas/"

_DATA = {
    "object": {"type": "object"},
    "array": {"type": "array", "items": {"type": "object"}},
    "page": {"$ref": "#/components/schemas/ListData"},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "number": {"type": "number"},
}


def document(routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, dict] = {}
    schemas: dict[str, Any] = {
        "JFWError": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "correlationId": {"type": "string"}, "field": {"type": "string"}}},
        "ListData": {"type": "object", "required": ["items", "totalItems", "pageNumber",
                                                    "pageSize"],
                     "properties": {"items": {"type": "array", "items": {"type": "object"}},
                                    "totalItems": {"type": "integer"},
                                    "pageNumber": {"type": "integer"},
                                    "pageSize": {"type": "integer"}}},
        "Envelope": _ENVELOPE,
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
    from pydantic.json_schema import models_json_schema

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
    if r.returns == "raw":
        ok = {"description": "The raw document."}
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": {
            "allOf": [{"$ref": "#/components/schemas/Envelope"},
                      {"type": "object", "properties": {"data": _DATA[r.returns]}}]}}}}
    err = {"description": "JFW error envelope", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Envelope"}}}}
    out = {str(r.status): ok, "400": err}
    if r.brand:
        out["404"] = err
    if r.auth == "user":
        out["401"] = err
    if r.permission:
        out["403"] = err
    return out
