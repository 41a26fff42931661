"""Requests generated from the route table: a route's test id, its body schema read field by
field, the bad bodies it must refuse, and its path with parameters filled."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.http.routing import Route


def route_id(r: Route) -> str:
    return f"{r.method} {r.path.removeprefix('/api/')}"


class Schema:
    """A pydantic model's JSON schema, with ``$ref``/``anyOf`` resolved for one field at a time."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.root = model.model_json_schema()
        self.defs = self.root.get("$defs", {})
        self.is_list = self.root.get("type") == "array"

    def resolve(self, s: dict) -> dict:
        """The schema with its reference followed and ``X | None`` reduced to ``X``."""
        while True:
            if "$ref" in s:
                s = {**self.defs[s["$ref"].rsplit("/", 1)[1]],
                     **{k: v for k, v in s.items() if k != "$ref"}}
            elif "allOf" in s and len(s["allOf"]) == 1:
                s = {**s["allOf"][0], **{k: v for k, v in s.items() if k != "allOf"}}
            elif "anyOf" in s:
                options = [o for o in s["anyOf"] if o.get("type") != "null"]
                if len(options) != 1:
                    return s  # a real union (e.g. number | string): left as it is
                s = {**options[0], **{k: v for k, v in s.items() if k != "anyOf"}}
            else:
                return s

    @property
    def object_schema(self) -> dict:
        """The object the fields live in: the body, or the item of a list body."""
        return self.resolve(self.root["items"]) if self.is_list else self.root

    def fields(self) -> dict[str, dict]:
        return {k: self.resolve(v) for k, v in self.object_schema.get("properties", {}).items()}

    def required(self) -> list[str]:
        return list(self.object_schema.get("required", []))

    def example(self) -> Any:
        """A valid body: the model's own ``examples`` if it has them, else built from the schema
        (required fields only) and checked against the model."""
        if self.root.get("examples"):
            return self.root["examples"][0]
        # Required fields only; failing that (a rule across fields), one optional field more.
        optional = [k for k in self.fields() if k not in self.required()]
        # With nothing required, one field first: an empty change is often refused.
        variants = [*optional, None] if not self.required() else [None, *optional]
        error = None
        for extra in variants:
            item = self.example_object(self.object_schema, extra)
            body = [item] if self.is_list else item
            try:
                self.model.model_validate(body)
                return body
            except Exception as e:  # noqa: BLE001 - reported below if no variant is valid
                error = error or e
        pytest.fail(f"Can't build a valid example body for {self.model.__name__} ({error}); "
                    "add json_schema_extra={'examples': [...]} to the model.")

    def example_object(self, s: dict, extra: str | None = None) -> dict:
        props = s.get("properties", {})
        names = [*s.get("required", []), *([extra] if extra else [])]
        self._dates = 0
        return {k: self.example_value(self.resolve(props[k])) for k in names}

    def example_value(self, s: dict) -> Any:
        if "examples" in s:
            return s["examples"][0]
        if "const" in s:
            return s["const"]
        if "enum" in s:
            return s["enum"][0]
        if "anyOf" in s:
            return self.example_value(self.resolve(s["anyOf"][0]))
        kind = s.get("type")
        if kind == "object":
            return self.example_object(s)
        if kind == "array":
            item = self.example_value(self.resolve(s.get("items", {})))
            return [item] * max(1, s.get("minItems", 1))
        if kind == "integer":
            return max(int(s.get("minimum", 1)), int(s.get("exclusiveMinimum", 0)) + 1)
        if kind == "number":
            return max(float(s.get("minimum", 1)), float(s.get("exclusiveMinimum", 0)) + 1)
        if kind == "boolean":
            return False
        if s.get("format") == "date-time":  # later fields later: endDate after startDate
            self._dates = getattr(self, "_dates", 0) + 1
            return f"2030-01-{self._dates:02d}T00:00:00Z"
        return example_string(s)


_STRINGS = ("Abc123", "USD", "abc", "ABC", "ABC.DEF", "https://example.com/x", "user@example.com",
            "+14155550100", "USD", "en", "UTC", "2030-01-01", "A1", "a", "1", "example.com")


def example_string(s: dict) -> str:
    fmt = s.get("format")
    if fmt == "email":
        return "user@example.com"
    if fmt == "date-time":
        return "2030-01-01T00:00:00Z"
    if fmt == "date":
        return "2030-01-01"
    if fmt in ("uri", "url"):
        return "https://example.com/x"
    lo, hi = s.get("minLength", 0), s.get("maxLength", 10_000)
    for c in _STRINGS:
        if lo <= len(c) <= hi and (not s.get("pattern") or re.search(s["pattern"], c)):
            return c
    return "a" * max(lo, 1)


def wrong_type(s: dict) -> Any:
    kind = s.get("type")
    if kind == "string" and s.get("format") in ("date-time", "date", "time", "duration"):
        return ["not", "a", "date"]  # a number would pass: pydantic reads it as a timestamp
    if kind == "string":
        return 12345
    if kind in ("integer", "number", "boolean", "array"):
        return f"not-a-{kind}"
    if kind == "object":
        return ["not", "an", "object"]
    return {"not": "this"}


def body_cases(schema: Schema) -> list[tuple[str, Any, str | None]]:
    """(what, raw body or JSON value, the field at fault or None)."""
    base = schema.example()

    def with_field(name: str, value: Any = ..., drop: bool = False) -> Any:
        obj = dict(base[0] if schema.is_list else base)
        if drop:
            obj.pop(name, None)
        else:
            obj[name] = value
        return [obj] if schema.is_list else obj

    prefix = "0." if schema.is_list else ""
    cases: list[tuple[str, Any, str | None]] = [
        ("malformed JSON", b'{"unterminated": ', None),
        ("body over 256 KiB", json.dumps({"pad": "x" * (257 * 1024)}).encode(), None),
    ]
    if schema.is_list:
        cases.append(("an object instead of an array", {"not": "a list"}, None))
    else:
        cases += [("an array instead of an object", [base], None),
                  ("a number instead of an object", 42, None),
                  ("a string instead of an object", "text", None)]
    fields = schema.fields()
    for name in schema.required():
        cases.append((f"{name} missing", with_field(name, drop=True), prefix + name))
        cases.append((f"{name} of the wrong type", with_field(name, wrong_type(fields[name])),
                      prefix + name))
    for name, s in fields.items():
        if s.get("type") == "string" and "maxLength" in s:
            cases.append((f"{name} too long", with_field(name, "a" * (s["maxLength"] + 1)),
                          prefix + name))
        if s.get("type") == "array" and "maxItems" in s:
            item = schema.example_value(schema.resolve(s.get("items", {})))
            cases.append((f"{name} with too many items",
                          with_field(name, [item] * (s["maxItems"] + 1)), prefix + name))
        if "enum" in s and s.get("type", "string") == "string":
            cases.append((f"{name} not one of its values", with_field(name, "NotAValue"),
                          prefix + name))
    return cases


def fill_path(route: Route, values: dict[str, str] | None = None) -> str:
    path = route.path
    for p in route.path_params:
        path = path.replace("{" + p + "}", (values or {}).get(p, "x1"))
    query = "&".join(f"{q.name}={'x1' if q.type not in ('integer', 'number') else 1}"
                     for q in route.query if q.required)
    return path + (f"?{query}" if query else "")
