"""The API's own OpenAPI document and its operations, as the tests read them: the schema's checks
(tests/api/test_schema.py, tests/channels/test_api_channel.py) and the fuzzer that Schemathesis
drives from it (tests/fuzz/test_rest_api.py)."""

import json
from dataclasses import dataclass
from functools import cache

from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    spec: dict
    body_schema: dict | None  # the request body's object schema, $refs resolved
    query_parameters: tuple[dict, ...]


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
