"""The widget's HTTP endpoints (docs/protocol.md: the session, attributes, files and transcript
calls, and the config the loader reads) given hostile JSON, forms and query strings: NUL and lone surrogates
percent-encoded (`?key=%00`), repeated and endless parameters, fields of the wrong kind, bodies
that are not UTF-8 JSON or too big, odd Origins.

Every answer is below 500; a JSON endpoint answers JSON, and a refusal is `{"error", "detail"}`
with a code the document lists for that call; whenever the request carries an Origin the answer
echoes it (CORS, refusals included); a refusal stores nothing; and a transcript never shows a
private note.
"""

import json
from urllib.parse import quote_from_bytes

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from conversations import services
from conversations.models import Attachment, Contact, ContactIdentity, Conversation, Inbox, Message
from customer_clients.visitors import visitor_session_open
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory
from tests.fuzz import database, hostile
from tests.fuzz.conftest import count_case

pytestmark = pytest.mark.postgres  # the stored rows' digest is computed by Postgres

STORED = [Contact, ContactIdentity, Conversation, Message, Attachment]
ALLOWED_ORIGIN = "https://shop.example.com"
# The refusals docs/protocol.md lists for each call; bad_request is also the input boundary's
# answer to a parameter it refuses (NUL, a lone surrogate) on any of them.
REFUSALS = {
    "config": {"inbox_not_found", "origin_forbidden", "bad_request"},
    "session": {
        "method_not_allowed",
        "too_big",
        "bad_request",
        "inbox_not_found",
        "origin_forbidden",
        "identity_required",
        "identity_invalid",
        "invalid",
    },
    "attributes": {
        "method_not_allowed",
        "too_big",
        "bad_request",
        "inbox_not_found",
        "origin_forbidden",
        "token_invalid",
        "invalid",
    },
    "transcript": {
        "method_not_allowed",
        "too_big",
        "bad_request",
        "inbox_not_found",
        "origin_forbidden",
        "token_invalid",
        "not_found",
    },
    "files": {
        "inbox_not_found",
        "origin_forbidden",
        "token_invalid",
        "bad_request",
        "too_big",
        "unsupported_type",
        "not_found",
        "invalid",
    },
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def widget(db) -> dict:
    inbox = InboxFactory(name="Website", allowed_origins=ALLOWED_ORIGIN)
    session = visitor_session_open(inbox=inbox)
    return {"key": inbox.public_key, "resume_token": session.resume_token}


def origins() -> st.SearchStrategy[str | None]:
    """None (a native app), the allowed site, another one, or junk (headers are Latin-1)."""
    latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30)
    return st.one_of(st.none(), st.just(ALLOWED_ORIGIN), st.just("https://evil.example"), latin1)


def raw_text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")  # a lone surrogate as the bytes a client may send


@st.composite
def query_strings(draw, key: str) -> str:
    """?key=… percent-encoded from any bytes: the real key, hostile text, or a key repeated."""
    values = draw(
        st.lists(
            st.one_of(
                st.just(raw_text(key)),
                hostile.hostile_text().map(raw_text),
                st.binary(max_size=20),
                st.just(b"\x00"),
                st.just(b"k" * 5000),
            ),
            min_size=1,
            max_size=3,
        )
    )
    name = draw(st.sampled_from((b"key", b"key", b"k\x00ey", b"")))
    query = "&".join(f"{quote_from_bytes(name)}={quote_from_bytes(value)}" for value in values)
    if draw(st.integers(0, 9)) == 0:  # past Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000)
        query += "&x=1" * 1001
    return query


@st.composite
def json_bodies(draw, base: dict, limit: int) -> bytes:
    """`base` with fields made hostile or added, or a document broken, or one over `limit` bytes."""
    how = draw(st.sampled_from(("field", "field", "extra", "broken", "too big", "not an object")))
    if how == "field":
        name = draw(st.sampled_from(sorted(base)))
        return hostile.encode({**base, name: draw(hostile.json_values(max_leaves=6))})
    if how == "extra":
        return hostile.encode({**base, draw(hostile.hostile_text(max_size=5)): draw(hostile.json_values())})
    if how == "too big":
        return hostile.encode({**base, "padding": "x" * limit})
    if how == "not an object":
        return hostile.encode(draw(hostile.scalars()))
    return draw(hostile.broken_bodies(base))


@st.composite
def attribute_bodies(draw, key: str, resume_token: str) -> bytes:
    attributes = draw(
        st.dictionaries(
            st.one_of(
                st.sampled_from(("name", "email", "phone", "language", "plan")),
                hostile.hostile_text(max_size=8),
            ),
            st.one_of(hostile.scalars(), hostile.json_values(max_leaves=3), hostile.long_text(255)),
            max_size=6,
        )
    )
    base = {"public_key": key, "resume_token": resume_token, "attributes": attributes}
    return draw(st.one_of(st.just(hostile.encode(base)), json_bodies(base, 32 * 1024)))


@st.composite
def upload_forms(draw, key: str, resume_token: str) -> dict:
    text = st.one_of(hostile.hostile_text(), st.just(""))
    form = {
        "public_key": draw(st.one_of(st.just(key), text)),
        "resume_token": draw(st.one_of(st.just(resume_token), text)),
        "client_message_id": draw(st.one_of(st.uuids().map(str), text)),
        "conversation_id": draw(st.one_of(st.just(""), st.integers().map(str), text)),
        "body": draw(st.one_of(text, hostile.long_text(20_000))),
    }
    form = {name: value for name, value in form.items() if draw(st.integers(0, 5))}  # some left out
    if draw(st.integers(0, 9)) == 0:  # past Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000)
        form.update({f"x{index}": "1" for index in range(1001)})
    content = draw(st.sampled_from((PNG, b"%PDF-1.4\n", b"<svg/>", b"")))
    if draw(st.integers(0, 4)):
        form["file"] = ("a.png", content)
    return form


def assert_answered(response, call: str, origin: str | None, stored_before: tuple, where: str) -> None:
    where = f"{where}: {response.status_code} {response.content[:300]!r}"
    assert response.status_code < 500, where
    if origin:
        assert response.get("Access-Control-Allow-Origin") == origin, f"no CORS echo\n{where}"
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), where
        answer = response.json()
        assert answer.get("error") in REFUSALS[call], where
        assert isinstance(answer.get("detail"), str), where
        assert database.digest(STORED) == stored_before, f"refused, yet stored\n{where}"


def test_the_config_call_survives_any_query_string(widget):
    client = Client(raise_request_exception=False)

    @given(query=query_strings(widget["key"]), origin=origins())
    @example(query="key=%00", origin=ALLOWED_ORIGIN)
    @example(query=f"key={widget['key']}" + "&x=1" * 1001, origin=ALLOWED_ORIGIN)
    def examples(query: str, origin: str | None) -> None:
        count_case("widget config query strings")
        headers = {"Origin": origin} if origin is not None else {}
        before = database.digest(STORED)
        response = client.get(f"/widget/api/v1/config?{query}", headers=headers)
        assert_answered(response, "config", origin, before, f"GET /widget/api/v1/config?{query[:300]}")

    examples()


@pytest.mark.parametrize("call", ["session", "attributes"])
def test_the_session_and_attributes_calls_refuse_hostile_json_in_json_and_store_nothing(call, widget):
    client = Client(raise_request_exception=False)
    path = f"/widget/api/v1/{call}"
    if call == "session":
        base = {
            "public_key": widget["key"],
            "resume_token": widget["resume_token"],
            "name": "Kim",
            "language": "fr",
        }
        bodies = json_bodies(base, 8 * 1024)
    else:
        bodies = attribute_bodies(widget["key"], widget["resume_token"])

    @given(body=bodies, origin=origins())
    def examples(body: bytes, origin: str | None) -> None:
        count_case(f"widget {call} bodies")
        headers = {"Origin": origin} if origin is not None else {}
        with database.undone():
            before = database.digest(STORED)
            response = client.post(path, data=body, content_type="application/json", headers=headers)
            assert_answered(response, call, origin, before, f"POST {path} with {body[:300]!r}")

    examples()


def test_the_files_call_refuses_hostile_forms_and_stores_nothing(widget, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = Client(raise_request_exception=False)

    @given(form=upload_forms(widget["key"], widget["resume_token"]), origin=origins())
    def examples(form: dict, origin: str | None) -> None:
        count_case("widget files forms")
        headers = {"Origin": origin} if origin is not None else {}
        # A list of one value each: the test client would send bytes as one field per byte.
        data: dict[str, object] = {name: [raw_text(value)] for name, value in form.items() if name != "file"}
        if "file" in form:
            data["file"] = SimpleUploadedFile(*form["file"])
        with database.undone():
            before = database.digest(STORED)
            response = client.post("/widget/api/v1/messages", data=data, headers=headers)
            shown = {
                name: (value if name != "file" else form["file"][1][:16]) for name, value in data.items()
            }
            assert_answered(
                response, "files", origin, before, f"POST /widget/api/v1/messages with {shown!r}"[:600]
            )

    examples()


def test_the_transcript_call_refuses_hostile_json_and_never_shows_a_note(widget):
    inbox = Inbox.objects.get(public_key=widget["key"])
    session = visitor_session_open(inbox=inbox)
    conversation = services.message_receive(inbox=inbox, contact=session.contact, body="Hello").conversation
    agent = AgentProfileFactory().user
    services.message_post_reply(conversation=conversation, agent=agent, body="NOTE", is_private=True)
    base = {"public_key": widget["key"], "resume_token": session.resume_token}
    client = Client(raise_request_exception=False)
    ids = st.one_of(st.just(conversation.pk), st.integers(0, 2**70))  # past Postgres's bigint too

    @given(
        body=st.one_of(st.just(hostile.encode(base)), json_bodies(base, 4 * 1024)), pk=ids, origin=origins()
    )
    @example(body=hostile.encode(base), pk=conversation.pk, origin=None)
    def examples(body: bytes, pk: int, origin: str | None) -> None:
        count_case("widget transcript bodies")
        headers = {"Origin": origin} if origin is not None else {}
        path = f"/widget/api/v1/conversations/{pk}/transcript"
        with database.undone():
            before = database.digest(STORED)
            response = client.post(path, data=body, content_type="application/json", headers=headers)
            assert_answered(response, "transcript", origin, before, f"POST {path} with {body[:300]!r}")
            if response.status_code == 200:
                assert b"Hello" in response.content and b"NOTE" not in response.content

    examples()
    fine = client.post(
        f"/widget/api/v1/conversations/{conversation.pk}/transcript",
        data=base,
        content_type="application/json",
    )
    assert fine.status_code == 200 and b"Hello" in fine.content  # the call the fuzzer breaks works


def test_the_session_call_the_fuzzers_break_works(widget):
    """The session fuzzer breaks one thing of a call that works: prove that it does."""
    response = Client().post(
        "/widget/api/v1/session",
        data=json.dumps({"public_key": widget["key"]}),
        content_type="application/json",
        headers={"Origin": ALLOWED_ORIGIN},
    )

    assert response.status_code == 200 and "connect_token" in response.json()
