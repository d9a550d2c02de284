"""The input boundary's reader on its own: what it refuses, and what it keeps exactly."""

import json

import pytest

from conversations.boundary import BadInput, read_json, replace_unstorable, storable_tree


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[" * 33 + "]" * 33, "nested deeper than 32"),
        ("[" * 5000 + "]" * 5000, "nested deeper than 32"),  # past Python's own recursion limit
        ('{"a": NaN}', "NaN is not a JSON value"),
        ('{"a": -Infinity}', "-Infinity is not a JSON value"),
        ('{"id": 1e400}', "id: is a number too large"),  # Python reads it as infinity
        ('{"ids": [9223372036854775808]}', "ids.0: is a number beyond 64 bits"),
        ('{"id": ' + "9" * 5000 + "}", "Not valid JSON"),
        ('{"a": "b"', "Not valid JSON"),
    ],
)
def test_what_json_the_boundary_refuses(raw, says):
    with pytest.raises(BadInput, match=says):
        read_json(raw)


def test_json_must_be_utf8():
    with pytest.raises(BadInput, match="UTF-8"):
        read_json(json.dumps({"a": "é"}).encode("utf-16"))
    with pytest.raises(BadInput, match="UTF-8"):
        read_json(b'{"a": "\xff"}')


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"a": {"b": "x\\u0000"}}', "a.b"),
        ('{"list": [1, "\\ud800"]}', "list.1"),
        ('{"\\u0000": 1}', "\ufffd"),
    ],
)
def test_text_postgres_cannot_store_is_refused_naming_its_field(raw, field):
    with pytest.raises(BadInput) as refused:
        read_json(raw)
    assert refused.value.field == field
    assert "\x00" not in str(refused.value)


def test_what_the_boundary_keeps_exactly():
    raw = (
        '{"emoji": "\\ud83d\\ude00 😀", "rtl": "שָׁלוֹם", "n": -9223372036854775808, "f": 1e308, "deep": '
        + ("[" * 31 + "]" * 31)
        + "}"
    )
    value = read_json(raw.encode())
    assert value["emoji"] == "😀 😀" and value["rtl"] == "שָׁלוֹם"
    assert value["n"] == -(2**63) and value["f"] == 1e308


def test_a_lenient_read_keeps_unstorable_text_for_a_later_check():
    value = read_json('{"ref": "\\u0000", "ok": 1}', refuse_unstorable=False)
    with pytest.raises(BadInput):
        storable_tree(value)


def test_replacing_reaches_keys_lists_and_the_tuples_of_a_dataclass():
    replaced, count = replace_unstorable({"a\x00": ["x\ud800", ({"file_id": "\x00y"},)], "n": 3})
    assert replaced == {"a\ufffd": ["x\ufffd", [{"file_id": "\ufffdy"}]], "n": 3}
    assert count == 3
