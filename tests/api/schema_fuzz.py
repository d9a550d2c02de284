"""A small schema-driven fuzzer: for each operation of the API's own OpenAPI schema, requests that
break it (wrong types, missing fields, huge and NUL-bearing strings, bodies that are not objects,
ids that cannot exist), made from the schema alone so that a new endpoint is fuzzed too.

No hypothesis or schemathesis: a few well-chosen bad values per field find the crashes that
matter here (unvalidated input reaching the database or a service).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from drf_spectacular.generators import SchemaGenerator

HUGE = 100_000
NUL = "a\x00b"
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    spec: dict
    body_schema: dict | None  # the request body's object schema, $refs resolved
    query_parameters: tuple[dict, ...]

    def url(self, path_values: dict[str, int]) -> str:
        url = self.path
        for name, value in path_values.items():
            url = url.replace("{" + name + "}", str(value))
        return url

    @property
    def path_names(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "path"]


@dataclass(frozen=True)
class Case:
    description: str
    body: object = None  # JSON-encodable, or raw bytes for text that is not JSON
    query: dict | None = None


@cache
def api_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(schema, default=str))


def operations(schema: dict) -> list[Operation]:
    found = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            found.append(
                Operation(
                    path=path,
                    method=method,
                    operation_id=spec["operationId"],
                    spec=spec,
                    body_schema=resolve(schema, body) if body else None,
                    query_parameters=tuple(p for p in spec.get("parameters", []) if p["in"] == "query"),
                )
            )
    return found


def resolve(schema: dict, node: object) -> object:
    """`node` with every $ref replaced by what it names (our schema has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return resolve(schema, schema["components"]["schemas"][name])
        return {key: resolve(schema, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(schema, item) for item in node]
    return node


def bad_values(prop: dict) -> Iterator[tuple[str, object]]:
    """Values that `prop`'s schema forbids."""
    prop = _effective(prop)
    kind = prop.get("type")
    if not prop.get("nullable"):
        yield "null", None
    if kind == "string" or ("enum" in prop and kind != "integer"):
        yield "a list", ["x"]
        yield "an object", {"x": 1}
        yield "a boolean", True
        yield "a huge string", "x" * (prop.get("maxLength", HUGE) + 1)
        yield "a NUL byte", NUL
        if "enum" in prop or "format" in prop or "pattern" in prop:
            yield "a stranger", "not one of these!"
    elif kind == "integer":
        yield "text", "abc"
        yield "a fraction", 1.5
        yield "a list", [1]
        yield "beyond a bigint", 2**70
        yield "below the minimum", prop.get("minimum", 1) - 1 if "minimum" in prop else -(2**70)
    elif kind == "boolean":
        yield "text", "maybe"
        yield "a number", 2
        yield "a list", [True]
    elif kind == "array":
        yield "text", "abc"
        yield "an object", {"x": 1}
        yield "a wrong item", [{"x": 1}]
        if "maxItems" in prop:
            yield "too many items", [1] * (prop["maxItems"] + 1)


def _effective(prop: dict) -> dict:
    """oneOf / allOf as spectacular writes them (an enum in allOf, email-or-blank in oneOf)."""
    for key in ("allOf", "oneOf"):
        if key in prop:
            merged = dict(prop[key][0])
            merged.update({k: v for k, v in prop.items() if k != key})
            return merged
    return prop


def body_cases(operation: Operation, valid_body: dict) -> Iterator[Case]:
    schema = operation.body_schema
    yield Case("a JSON list", body=[valid_body])
    yield Case("a JSON string", body="text")
    yield Case("JSON null", body=None)
    yield Case("text that is not JSON", body=b'{"body": ')
    for name in schema.get("required", []):
        yield Case(f"{name} missing", body={k: v for k, v in valid_body.items() if k != name})
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        for description, value in bad_values(prop):
            yield Case(f"{name} as {description}", body={**valid_body, name: value})


def query_cases(operation: Operation) -> Iterator[Case]:
    for parameter in operation.query_parameters:
        if parameter["name"] == "cursor":  # opaque; a broken one is answered 404
            yield Case("a cursor with a bad offset", query={"cursor": "bz1hYmM="})  # "o=abc"
            yield Case("a cursor that is not base64", query={"cursor": "é" * 10})
            continue
        for description, value in bad_values(parameter["schema"]):
            if value is None or isinstance(value, list | dict | bool):
                continue  # a query string carries text only
            yield Case(f"{parameter['name']} as {description}", query={parameter["name"]: str(value)})
