"""Validate bodies against calendar.v3.json (independent of the sandbox's own code).

Discovery ``$ref``s are resolved into a JSON Schema; objects with declared properties
forbid undeclared ones, so a stray or mistyped field fails.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import googleapiclient
import jsonschema

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "calendar.v3.json"
DOC = json.loads(DISCOVERY.read_text())

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["errors", "code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["domain", "reason", "message"],
                        "additionalProperties": False,
                        "properties": {
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                            "message": {"type": "string"},
                            "locationType": {"type": "string"},
                            "location": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


_ERROR_VALIDATOR = jsonschema.Draft202012Validator(ERROR_SCHEMA)


def _convert(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        name = node["$ref"]
        if name not in defs:
            defs[name] = {}
            defs[name] = _convert(DOC["schemas"][name], defs)
        return {"$ref": f"#/$defs/{name}"}
    t = node.get("type")
    out: dict[str, Any] = {}
    if t == "object":
        out["type"] = "object"
        if "properties" in node:
            out["properties"] = {k: _convert(v, defs) for k, v in node["properties"].items()}
            out["additionalProperties"] = False
        if "additionalProperties" in node:
            out["additionalProperties"] = _convert(node["additionalProperties"], defs)
    elif t == "array":
        out = {"type": "array", "items": _convert(node["items"], defs)}
    elif t in ("integer", "boolean", "number"):
        out = {"type": t}
    elif t == "string":
        out = {"type": "string"}
        fmt = node.get("format")
        if fmt == "int64":
            out["pattern"] = r"^-?[0-9]+$"
        elif fmt == "date-time":
            out["pattern"] = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
        elif fmt == "date":
            out["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
        if "enum" in node:
            out["enum"] = node["enum"]
    return out


@functools.cache
def schema_for(name: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _convert({"$ref": name}, defs)
    return {**root, "$defs": defs}


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = schema_for(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate(name: str, body: Any) -> None:
    """Raise jsonschema.ValidationError unless body matches discovery schema ``name``."""
    _validator(name).validate(body)


def response_schema(method_id: str) -> str | None:
    _, resource, method = method_id.split(".")
    return DOC["resources"][resource]["methods"][method].get("response", {}).get("$ref")


def check_response(method_id: str, status: int, content: bytes) -> None:
    """Success: the method's response schema (or empty for methods without one); error: Google's shape."""
    if status >= 400:
        body = json.loads(content)
        _ERROR_VALIDATOR.validate(body)
        assert body["error"]["code"] == status
        return
    name = response_schema(method_id)
    if name is None:
        assert content == b"", content
        return
    validate(name, json.loads(content))
