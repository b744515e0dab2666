"""The discovery document (schema of record): parameters, JSON Schema, partial responses."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from .errors import ApiError, invalid_parameter, required
from .timeutil import parse_rfc3339


def discovery_path() -> Path:
    import googleapiclient

    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "calendar.v3.json"


@functools.lru_cache(maxsize=1)
def discovery() -> dict[str, Any]:
    with open(discovery_path(), encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def method(method_id: str) -> dict[str, Any]:
    """The discovery description of e.g. ``calendar.events.list``."""
    doc = discovery()
    _, resource, name = method_id.split(".")
    return doc["resources"][resource]["methods"][name]


def to_json_schema(schema_name: str, strict: bool = False) -> dict[str, Any]:
    """Convert a discovery schema (with ``$ref``s into ``schemas``) to a JSON Schema.

    ``strict`` forbids properties the discovery document does not declare.
    """
    doc = discovery()
    defs: dict[str, Any] = {}

    def conv(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            ref = node["$ref"]
            if ref not in defs:
                defs[ref] = {}
                defs[ref] = conv(doc["schemas"][ref])
            return {"$ref": f"#/$defs/{ref}"}
        out: dict[str, Any] = {}
        typ = node.get("type")
        fmt = node.get("format")
        if typ == "object":
            out["type"] = "object"
            if "properties" in node:
                out["properties"] = {k: conv(v) for k, v in node["properties"].items()}
                if strict:
                    out["additionalProperties"] = False
            if "additionalProperties" in node:
                out["additionalProperties"] = conv(node["additionalProperties"])
        elif typ == "array":
            out["type"] = "array"
            out["items"] = conv(node.get("items", {}))
        elif typ == "integer":
            out["type"] = "integer"
        elif typ == "number":
            out["type"] = "number"
        elif typ == "boolean":
            out["type"] = "boolean"
        elif typ == "string":
            out["type"] = "string"
            if not strict:
                pass
            elif fmt in ("int64", "uint64"):
                out["pattern"] = r"^-?\d+$"
            elif fmt == "date-time":
                out["pattern"] = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
            elif fmt == "date":
                out["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
            if "enum" in node and strict:
                out["enum"] = node["enum"]
        elif typ == "any":
            pass
        return out

    root = conv({"$ref": schema_name})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}


@functools.cache
def _request_validator(schema_name: str) -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(to_json_schema(schema_name, strict=False))


def validate_body(schema_name: str, body: Any) -> None:
    """400 when a request body does not match the types of the discovery schema.

    A ``null`` object member means "not set" (patch: "clear"), so it is not type-checked.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "parseError", "Parse Error")
    checked = without_nulls(body)
    errors = sorted(_request_validator(schema_name).iter_errors(checked), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or "body"
        raise ApiError(400, "invalid", f"Invalid value for: {where}", location_type="body", location=where)


def without_nulls(value: Any) -> Any:
    """``value`` without object members that are ``null`` (array items are kept as they are)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


GLOBAL_PARAMS = ("alt", "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "userIp", "access_token")
_INT_RE = re.compile(r"^-?\d+$")


def validate_query(method_id: str, args: Any) -> dict[str, Any]:
    """Check query parameters against the discovery document; return typed values.

    ``args`` is a werkzeug MultiDict. Unknown parameters, malformed values, values out of
    range or not in the enum, repetition of non-repeated parameters: 400.
    """
    desc = method(method_id)
    params = desc.get("parameters", {})
    gparams = discovery()["parameters"]
    out: dict[str, Any] = {}
    for name in args:
        values = args.getlist(name)
        spec = params.get(name)
        if spec is not None and spec.get("location") == "path":
            spec = None
        if spec is None:
            if name in GLOBAL_PARAMS:
                spec = gparams.get(name, {"type": "string"})
            else:
                raise invalid_parameter(name, f"Unknown parameter: {name}")
        if len(values) > 1 and not spec.get("repeated"):
            raise invalid_parameter(name, f"Parameter {name} may not be repeated")
        typed = [_convert(name, spec, v) for v in values]
        out[name] = typed if spec.get("repeated") else typed[0]
    for name, spec in params.items():
        if spec.get("location") == "query" and spec.get("required") and name not in out:
            raise required(f"Required parameter: {name}", name)
    if out.get("alt", "json") != "json":
        raise invalid_parameter("alt")
    return out


def _convert(name: str, spec: dict[str, Any], value: str) -> Any:
    typ = spec.get("type", "string")
    if typ == "boolean":
        if value not in ("true", "false"):
            raise invalid_parameter(name, f"Invalid boolean value: '{value}'.")
        return value == "true"
    if typ == "integer":
        if not _INT_RE.match(value):
            raise invalid_parameter(name, f"Invalid integer value: '{value}'.")
        n = int(value)
        if "minimum" in spec and n < int(spec["minimum"]):
            raise invalid_parameter(
                name,
                f"Invalid value '{value}'. Values must be within the range: "
                f"[{spec['minimum']}, {spec.get('maximum', '')}]",
            )
        if "maximum" in spec and n > int(spec["maximum"]):
            raise invalid_parameter(
                name,
                f"Invalid value '{value}'. Values must be within the range: "
                f"[{spec.get('minimum', '')}, {spec['maximum']}]",
            )
        return n
    if "enum" in spec and value not in spec["enum"]:
        raise invalid_parameter(name, f"Invalid value for: {name}")
    if spec.get("format") == "date-time":
        parsed = parse_rfc3339(value)
        if parsed is None:
            raise ApiError(400, "badRequest", "Bad Request", location_type="parameter", location=name)
        return parsed
    return value


# ---------------------------------------------------------------- partial responses (fields=)


def parse_fields(expr: str) -> dict[str, Any]:
    """Parse ``a,b/c,items(id,status)`` into a nested selection tree (``{}`` = whole)."""
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        tree: dict[str, Any] = {}
        while True:
            path = []
            m = re.compile(r"[A-Za-z0-9_*]+").match(expr, pos)
            if not m:
                raise invalid_parameter("fields", "Invalid field selection")
            path.append(m.group(0))
            pos = m.end()
            while pos < len(expr) and expr[pos] == "/":
                m = re.compile(r"[A-Za-z0-9_*]+").match(expr, pos + 1)
                if not m:
                    raise invalid_parameter("fields", "Invalid field selection")
                path.append(m.group(0))
                pos = m.end()
            sub: dict[str, Any] = {}
            if pos < len(expr) and expr[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(expr) or expr[pos] != ")":
                    raise invalid_parameter("fields", "Invalid field selection")
                pos += 1
            node = tree
            for p in path[:-1]:
                node = node.setdefault(p, {})
            leaf = node.setdefault(path[-1], {})
            leaf.update(sub)
            if pos < len(expr) and expr[pos] == ",":
                pos += 1
                continue
            return tree

    result = parse_list()
    if pos != len(expr):
        raise invalid_parameter("fields", "Invalid field selection")
    return result


def apply_fields(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [apply_fields(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return value
    out = {}
    for key, sub in tree.items():
        if key in value:
            out[key] = apply_fields(value[key], sub)
    return out
