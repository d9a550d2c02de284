"""Hypothesis strategies for hostile input, shared by every fuzzer in this folder: text Postgres
cannot store or people misrender, JSON values of the wrong kind, documents nested too deep, and
bodies that are not UTF-8 JSON at all."""

import json
import math

from hypothesis import strategies as st

NUL = "\x00"
LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")
# Emoji (with a ZWJ sequence and a flag), right-to-left text and overrides, combining marks,
# zero-width and BOM characters, a line separator: each has broken a renderer or a length check.
TRICKY = (
    "😀",
    "👩‍👩‍👧",
    "🇫🇷",
    "مرحبا",
    "שלום",
    "\u202e",
    "\u200f",
    "e\u0301",
    "Z\u0351\u0352\u0353\u0354",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\r\n",
    "'\"<>&;--",
)
HUGE_INTS = (2**31, 2**63, 2**63 - 1, -(2**63) - 1, 2**70, 10**30, -(10**30))
# A number that is valid JSON but no float: Python reads 1e400 as infinity. Strategies place this
# string where the number goes, and the encoders below write it as the bare literal.
OVERFLOW = "__1e400__"
NUMBERS = (*HUGE_INTS, OVERFLOW)


def hostile_text(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """Short strings made of the characters above (NUL and lone surrogates among them), any other
    code point, and plain letters."""
    pieces = st.one_of(
        st.sampled_from((NUL, *LONE_SURROGATES, *TRICKY)),
        st.characters(),
        st.text(alphabet="abc xyz 019", max_size=8),
    )
    return st.lists(pieces, max_size=max_size).map("".join)


def long_text(limit: int) -> st.SearchStrategy[str]:
    """A string just over a length limit (or far over it)."""
    return st.sampled_from((limit + 1, limit * 2, limit * 10)).map(lambda size: "x" * size)


def scalars() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(NUMBERS),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text(),
    )


def json_values(*, max_leaves: int = 12) -> st.SearchStrategy[object]:
    """Any JSON value, with hostile text in keys and values."""
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(hostile_text(max_size=6), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def nested(depth: int, *, inner: object = 1) -> object:
    """[[[...inner...]]] `depth` levels deep (json.dumps cannot write it past ~1000 levels; see
    nested_json for a document deeper than that)."""
    value = inner
    for _ in range(depth):
        value = [value]
    return value


def nested_json(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def unstorable(text: str) -> bool:
    """Whether Postgres refuses `text` (a NUL, or a surrogate that pairs with nothing)."""
    return any(char == NUL or "\ud800" <= char <= "\udfff" for char in text)


def unstorable_replaced(value: object) -> object:
    """`value` (text or a JSON tree) with what Postgres refuses replaced by U+FFFD, as a server
    that cannot send it back unchanged echoes it."""
    if isinstance(value, str):
        return "".join("\ufffd" if unstorable(char) else char for char in value)
    if isinstance(value, list):
        return [unstorable_replaced(item) for item in value]
    if isinstance(value, dict):
        return {unstorable_replaced(key): unstorable_replaced(item) for key, item in value.items()}
    return value


def json_depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(json_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(json_depth, value), default=0)
    return 0


def overflowed(text: str) -> str:
    """`text` (JSON) with each OVERFLOW string written as the number 1e400."""
    return text.replace(f'"{OVERFLOW}"', "1e400")


def encode(document: object) -> bytes:
    """JSON as a client would send it: UTF-8, with lone surrogates as \\u escapes."""
    return overflowed(json.dumps(document, ensure_ascii=True, allow_nan=False)).encode()


@st.composite
def broken_bodies(draw, document: object) -> bytes:
    """`document` sent in a way a JSON boundary must refuse, or at least survive."""
    text = overflowed(json.dumps(document, ensure_ascii=False))
    kind = draw(
        st.sampled_from(
            (
                "utf-16",
                "utf-8 with a BOM",
                "surrogates as raw bytes",
                "latin-1",
                "truncated",
                "NaN",
                "Infinity",
                "deeply nested",
                "very deeply nested",
                "not json",
                "empty",
                "random bytes",
            )
        )
    )
    if kind == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if kind == "utf-8 with a BOM":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if kind == "surrogates as raw bytes":
        return (text[:-1] + ', "x": "\ud800"' + text[-1:] if text.endswith("}") else text + "\ud800").encode(
            "utf-8", "surrogatepass"
        )
    if kind == "latin-1":
        return (text + "é").encode("latin-1", "replace")
    if kind == "truncated":
        return text.encode("utf-8", "surrogatepass")[: max(1, len(text) // 2)]
    if kind == "NaN":
        return text.replace("1", "NaN", 1).encode("utf-8", "surrogatepass") if "1" in text else b'{"a": NaN}'
    if kind == "Infinity":
        return b'{"a": -Infinity, "b": ' + str(math.inf).encode() + b"}"
    if kind == "deeply nested":
        return nested_json(draw(st.integers(33, 200))).encode()
    if kind == "very deeply nested":
        return nested_json(draw(st.sampled_from((2_000, 100_000)))).encode()
    if kind == "not json":
        return draw(st.sampled_from((b"{", b"[1,]", b"{'a': 1}", b"undefined", b"\x00", b"<xml/>")))
    if kind == "empty":
        return b""
    return draw(st.binary(min_size=1, max_size=64))
