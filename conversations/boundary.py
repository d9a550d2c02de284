"""The one input boundary every door uses (widget HTTP and socket, webhooks, REST, API channel).

- JSON is read as UTF-8 only, with a depth limit, without `NaN`/`Infinity` (not JSON), and with
  numbers Postgres can hold (integers of 64 bits, finite floats): a body that breaks a rule is
  `BadInput`, a clear 400 or socket error, never a RecursionError or a database error.
- Text that Postgres cannot store (NUL, and UTF-16 surrogates that pair with nothing) is refused
  with the field's name where a person can correct it, or replaced (U+FFFD) where nobody can: a
  signed provider event is stored with the characters replaced and a note, never retried.
"""

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what Postgres's bigint holds: any id, seq or count
NOT_STORABLE = "holds a NUL character or an unpaired UTF-16 surrogate, which cannot be stored."
REPLACEMENT = "\ufffd"
# A surrogate left in a str by json.loads is one that paired with nothing (a pair becomes one
# code point); Postgres refuses it, as it refuses NUL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BadInput(ValueError):
    """Input refused at the boundary: `detail` says why, `field` where (a dotted path, or "")."""

    def __init__(self, detail: str, field: str = "") -> None:
        super().__init__(f"{field}: {detail}" if field else detail)
        self.detail = detail
        self.field = field


def unstorable(text: str) -> bool:
    """Whether `text` holds a character Postgres refuses (NUL, a lone surrogate)."""
    return _UNSTORABLE.search(text) is not None


def storable_text(text: str, field: str) -> str:
    """`text`, or BadInput naming `field` when it holds a character Postgres refuses."""
    if unstorable(text):
        raise BadInput(NOT_STORABLE, field)
    return text


def replace_unstorable(value: Any) -> tuple[Any, int]:
    """`value` (a str or a JSON-like tree) with every unstorable character replaced by U+FFFD, in
    keys too, and how many were replaced."""
    if isinstance(value, str):
        return _UNSTORABLE.subn(REPLACEMENT, value)
    if isinstance(value, dict):
        replaced, count = {}, 0
        for key, inner in value.items():
            key, in_key = replace_unstorable(key)
            replaced[key], in_value = replace_unstorable(inner)
            count += in_key + in_value
        return replaced, count
    if isinstance(value, list | tuple):  # a tuple from dataclasses.asdict: stored as a list
        items = [replace_unstorable(inner) for inner in value]
        return [item for item, _ in items], sum(count for _, count in items)
    return value, 0


def read_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, refuse_unstorable: bool = True) -> Any:
    """Parse a JSON document at the boundary. BadInput for what is not UTF-8, not JSON, nested
    deeper than `max_depth`, or (unless `refuse_unstorable` is False, for callers that replace
    it) holding text Postgres cannot store, with the path of the offending field."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("JSON must be encoded as UTF-8.") from None
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadInput(f"JSON nested deeper than {max_depth} levels.") from None
    except ValueError as error:  # JSONDecodeError, and BadInput from _refuse_constant
        if isinstance(error, BadInput):
            raise
        raise BadInput(f"Not valid JSON: {error}") from None
    _check_tree(value, max_depth, refuse_unstorable)
    return value


def storable_tree(value: Any) -> Any:
    """`value` (parsed JSON), or BadInput naming the first field whose text Postgres refuses: for
    callers that read a request leniently, to answer the refusal with the request's own `ref`."""
    _check_tree(value, max_depth=1_000_000, refuse_unstorable=True)
    return value


def _refuse_constant(name: str) -> Any:
    raise BadInput(f"{name} is not a JSON value.")


def _check_tree(value: Any, max_depth: int, refuse_unstorable: bool) -> None:
    """Walk the parsed tree without recursion: depth, numbers Postgres can hold, and text it can
    store."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict | list):
            if depth >= max_depth:  # the document's shape, not one field's: no path
                raise BadInput(f"JSON nested deeper than {max_depth} levels.")
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            for key, inner in pairs:
                inner_path = f"{path}.{key}" if path else str(key)
                if refuse_unstorable and isinstance(key, str) and unstorable(key):
                    storable_text(key, _printable(inner_path))
                stack.append((inner, depth + 1, inner_path))
        elif refuse_unstorable and isinstance(node, str):
            storable_text(node, _printable(path))
        elif isinstance(node, int) and not isinstance(node, bool) and not INT64_MIN <= node <= INT64_MAX:
            raise BadInput("is a number beyond 64 bits.", _printable(path))
        elif isinstance(node, float) and not math.isfinite(node):  # 1e400 reads as infinity
            raise BadInput("is a number too large to hold.", _printable(path))


def _printable(path: str) -> str:
    """A field path safe to echo in an answer (it may itself hold the bad characters)."""
    return _UNSTORABLE.sub(REPLACEMENT, path)
