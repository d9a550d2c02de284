"""The widget's HTTP side: the one-tag loader, its config, the frame page, and what they weigh."""

import gzip
import re

import pytest

from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
LOADER_BUDGET = 5 * 1024
FRAME_BUDGET = 50 * 1024


@pytest.fixture
def inbox():
    return InboxFactory(name="Acme support", allowed_origins=SHOP, config={"color": "#117a65"})


def test_the_loader_is_served_as_javascript_any_site_may_load(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "data-parley-key" in response.content.decode()


def test_config_answers_allowed_pages_only(client, inbox):
    allowed = client.get("/widget/api/v1/config", {"key": inbox.public_key}, HTTP_ORIGIN=SHOP)
    refused = client.get(
        "/widget/api/v1/config", {"key": inbox.public_key}, HTTP_ORIGIN="https://evil.example"
    )
    unknown = client.get("/widget/api/v1/config", {"key": "nope"}, HTTP_ORIGIN=SHOP)
    assert (allowed.status_code, allowed.json()["name"], allowed.json()["color"]) == (
        200,
        "Acme support",
        "#117a65",
    )
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert (refused.status_code, refused.json()["error"]) == (403, "origin_forbidden")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "inbox_not_found")


def test_a_brand_colour_that_is_not_a_colour_falls_back(client):
    inbox = InboxFactory(config={"color": "red; background: url(x)"})
    assert client.get("/widget/api/v1/config", {"key": inbox.public_key}).json()["color"] == "#2557d6"


def test_the_frame_may_be_drawn_only_inside_the_inboxs_sites(client, inbox):
    response = client.get("/widget/frame/", {"key": inbox.public_key})
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {SHOP}" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "X-Frame-Options" not in response
    # The page's settings travel as data, never as script.
    assert re.search(r'<script id="parley-page" type="application/json">', response.content.decode())


def test_the_frame_of_an_inbox_without_an_allow_list_may_be_drawn_anywhere(client):
    response = client.get("/widget/frame/", {"key": InboxFactory(allowed_origins="").public_key})
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'self' *")


def test_the_frame_of_an_unknown_inbox_is_not_found(client):
    assert client.get("/widget/frame/", {"key": "nope"}).status_code == 404


def test_the_frame_itself_may_open_a_session_though_its_origin_is_parleys_own(client, inbox):
    """The frame calls home from Parley's origin; the allow-list governs where it is embedded."""
    own = client.post(
        "/widget/api/v1/session",
        {"public_key": inbox.public_key},
        content_type="application/json",
        HTTP_ORIGIN="http://testserver",
    )
    foreign = client.post(
        "/widget/api/v1/session",
        {"public_key": inbox.public_key},
        content_type="application/json",
        HTTP_ORIGIN="https://evil.example",
    )
    assert own.status_code == 200 and "connect_token" in own.json()
    assert foreign.status_code == 403


def gzipped(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=9))


def module_graph(client, assets: list[str]) -> list[str]:
    """The assets and every ES module they import, followed to the end (each once)."""
    seen, pending = [], list(assets)
    while pending:
        asset = pending.pop()
        if asset in seen:
            continue
        seen.append(asset)
        if asset.endswith(".js"):
            body = b"".join(client.get(asset).streaming_content).decode()
            base = asset.rsplit("/", 1)[0]
            pending += [f"{base}/{name}" for name in re.findall(r'from\s+"\./([\w.-]+\.js)"', body)]
    return seen


def test_what_the_widget_serves_stays_inside_its_weight_budget(client, inbox):
    """Measured on the responses themselves: the loader, then the frame's HTML and every script
    and stylesheet it references."""
    loader = client.get("/widget.js").content
    frame = client.get("/widget/frame/", {"key": inbox.public_key})
    html = frame.content
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', html.decode())
    assert {asset.rsplit("/", 1)[-1] for asset in assets} == {"frame.js", "frame.css"}
    served = [b"".join(client.get(asset).streaming_content) for asset in module_graph(client, assets)]
    frame_total = gzipped(html) + sum(map(gzipped, served))
    assert gzipped(loader) <= LOADER_BUDGET, gzipped(loader)
    assert frame_total <= FRAME_BUDGET, frame_total


def test_a_visitor_can_leave_an_email_and_a_wrong_one_is_refused_with_nothing_lost(client, inbox):
    opened = client.post(
        "/widget/api/v1/session", {"public_key": inbox.public_key}, content_type="application/json"
    ).json()
    resume = opened["resume_token"]

    def update(**fields):
        return client.post(
            "/widget/api/v1/session",
            {"public_key": inbox.public_key, "resume_token": resume, **fields},
            content_type="application/json",
        )

    bad = update(email="not an email")
    good = update(email="ada@example.com", name="Ada")
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid")
    assert good.json()["contact"] == {"name": "Ada", "email": "ada@example.com", "phone": ""}
    assert good.json()["contact_id"] == opened["contact_id"]


def test_what_a_verified_user_says_of_themselves_never_overwrites_the_businesss_records(client, inbox):
    from customer_clients.visitors import identity_hash

    user = {"user_id": "user-7", "user_hash": identity_hash(inbox, "user-7")}

    def session(**fields):
        return client.post(
            "/widget/api/v1/session",
            {"public_key": inbox.public_key, **user, **fields},
            content_type="application/json",
        ).json()

    first = session(email="ada@example.com")
    second = session(email="mallory@example.com", name="Ada")
    assert first["contact"]["email"] == "ada@example.com"
    assert second["contact"] == {"name": "Ada", "email": "ada@example.com", "phone": ""}


def test_visitors_see_online_now_only_while_an_agent_of_the_inbox_is_online(client, inbox):
    from agents.models import AgentProfile
    from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory

    def frame_says_online() -> bool:
        page = client.get("/widget/frame/", {"key": inbox.public_key}).content.decode()
        return '"online": true' in page

    elsewhere = AgentProfileFactory(availability=AgentProfile.Availability.ONLINE)
    InboxMembershipFactory(inbox=InboxFactory(), agent=elsewhere.user)
    member = AgentProfileFactory(availability=AgentProfile.Availability.AWAY)
    InboxMembershipFactory(inbox=inbox, agent=member.user)
    before = frame_says_online()
    member.availability = AgentProfile.Availability.ONLINE
    member.save()
    session = client.post(
        "/widget/api/v1/session", {"public_key": inbox.public_key}, content_type="application/json"
    ).json()
    assert (before, frame_says_online(), session["team_online"]) == (False, True, True)


def test_a_live_inbox_may_ask_for_a_name_and_email_before_the_first_message(client):
    from customer_clients.widget import prechat_fields

    asked = {"prechat_fields": ["email", "shoe size", "name"]}
    live = InboxFactory(mode="live", config=asked)
    messaging = InboxFactory(mode="messaging", config=asked)
    assert prechat_fields(live) == ["name", "email"]
    assert prechat_fields(messaging) == []
    assert (
        '"prechat": ["name", "email"]'
        in client.get("/widget/frame/", {"key": live.public_key}).content.decode()
    )


def test_every_string_of_the_widget_is_translated():
    from django.conf import settings

    widget = settings.BASE_DIR / "static" / "widget"
    source = (widget / "frame.js").read_text()
    modules = "".join(path.read_text() for path in sorted(widget.glob("*.js")) if path.name != "loader.js")
    blocks = dict(re.findall(r"\n    (\w\w): \{(.*?)\n    \},", source, flags=re.S))
    keys = {lang: set(re.findall(r"(\w+): \"", block)) for lang, block in blocks.items()}
    used = set(re.findall(r"\bt\.(\w+)", modules)) | {"name", "email"}  # the pre-chat labels: t[field]
    assert set(keys) == {"en", "fr"}
    assert keys["en"] == keys["fr"], keys["en"] ^ keys["fr"]
    assert used <= keys["en"], used - keys["en"]
