"""The desk's pages and fragments through Django's test client: who may see what, what each
action does, and the fixed number of queries of every list and history endpoint."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import AgentConnection, AgentProfile, CannedResponse, SavedFilter, Skill
from agents.presence import agent_group
from conversations import services
from conversations.models import Conversation, Label, Message
from tests.backends import ON_POSTGRES
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, TeamFactory
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def customer_writes(inbox, body="Hello", contact=None) -> Conversation:
    return services.message_receive(inbox=inbox, contact=contact or ContactFactory(), body=body).conversation


def queries(client, url, method="get", **data) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code in (200, 204), response.content[:500]
    return len(captured), response


def test_the_desk_asks_for_a_login_and_refuses_non_staff(client, db):
    assert client.get("/desk/").status_code == 302
    assert client.get("/desk/")["Location"].startswith("/desk/login/")


def test_the_list_shows_each_row_with_preview_wait_and_unread(desk_client, inbox, agent):
    conversation = customer_writes(inbox, "My parcel never arrived")
    services.message_receive(inbox=inbox, contact=conversation.contact, body="Order #4821")
    response = desk_client.get("/desk/list/", {"view": "all"})
    html = response.content.decode()
    assert "Order #4821" in html
    assert 'aria-label="2 unread"' in html
    assert inbox.name in html


def test_views_filter_mine_and_unassigned(desk_client, inbox, agent):
    mine = customer_writes(inbox, "mine")
    customer_writes(inbox, "nobody's")
    services.conversation_assign(conversation=mine, assignee=agent, actor=agent)
    mine_html = desk_client.get("/desk/list/", {"view": "mine"}).content.decode()
    unassigned_html = desk_client.get("/desk/list/", {"view": "unassigned"}).content.decode()
    assert "mine" in mine_html and "nobody&#x27;s" not in mine_html
    assert "nobody&#x27;s" in unassigned_html and ">mine<" not in unassigned_html


def test_search_finds_message_text_and_contact_names(desk_client, inbox):
    customer_writes(inbox, "The zipper broke", contact=ContactFactory(name="Grace Hopper"))
    customer_writes(inbox, "Where is my refund", contact=ContactFactory(name="Alan Turing"))
    by_text = desk_client.get("/desk/list/", {"view": "all", "q": "zipper"}).content.decode()
    by_name = desk_client.get("/desk/list/", {"view": "all", "q": "turing"}).content.decode()
    assert "Grace Hopper" in by_text and "Alan Turing" not in by_text
    assert "Alan Turing" in by_name and "Grace Hopper" not in by_name


def test_an_agent_sees_only_the_inboxes_they_work(client, inbox):
    other_inbox = InboxFactory(name="Other brand")
    elsewhere = customer_writes(other_inbox, "not for you")
    outsider = AgentProfileFactory(display_name="Bo").user
    InboxMembershipFactory(inbox=inbox, agent=outsider)
    client.force_login(outsider)
    assert "not for you" not in client.get("/desk/list/", {"view": "all"}).content.decode()
    assert client.get(f"/desk/c/{elsewhere.pk}/").status_code == 404
    assert client.post(f"/desk/c/{elsewhere.pk}/reply/", {"body": "hi"}).status_code == 404


def test_the_list_costs_the_same_queries_for_3_or_30_conversations(desk_client, inbox, agent):
    labels = [Label.objects.create(name=f"tag-{n}") for n in range(5)]

    def labelled_conversations(count: int) -> None:  # each with labels, some past the row's few
        for n in range(count):
            services.conversation_update(
                conversation=customer_writes(inbox), actor=agent, labels=labels[: n % 6]
            )

    labelled_conversations(3)
    few, _ = queries(desk_client, "/desk/list/", view="all")
    labelled_conversations(27)
    many, response = queries(desk_client, "/desk/list/", view="all")
    html = response.content.decode()
    assert html.count('class="row') == 30
    assert html.count('class="label"') > 30 and 'class="label-more"' in html
    assert few == many


def test_the_list_pages_by_keyset(desk_client, inbox):
    created = [customer_writes(inbox, f"customer {n}") for n in range(55)]
    first = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    after = re.search(r"after=(\d+)", first).group(1)
    second = desk_client.get("/desk/list/", {"view": "all", "after": after}).content.decode()
    ids = [int(i) for i in re.findall(r'data-conversation-id="(\d+)"', first + second)]
    assert sorted(ids) == sorted(c.pk for c in created)  # every row once, none twice


def test_a_conversation_and_its_history_cost_the_same_queries_for_any_length(desk_client, inbox, agent):
    short = customer_writes(inbox, "one")
    long = customer_writes(inbox, "first")
    for n in range(120):
        services.message_post_reply(conversation=long, agent=agent, body=f"reply {n}")
    short_count, _ = queries(desk_client, f"/desk/c/{short.pk}/")
    long_count, response = queries(desk_client, f"/desk/c/{long.pk}/")
    assert short_count == long_count
    assert response.content.decode().count('class="entry message') == 50
    older_short, _ = queries(desk_client, f"/desk/c/{long.pk}/history/", before=100)
    older_long, older = queries(desk_client, f"/desk/c/{long.pk}/history/", before=60)
    assert older_short == older_long
    assert re.findall(r'data-seq="(\d+)"', older.content.decode())[-1] == "59"


def test_a_reply_and_a_private_note_are_stored_and_the_note_never_reaches_the_customer(
    desk_client, inbox, agent
):
    conversation = customer_writes(inbox)
    assert desk_client.post(f"/desk/c/{conversation.pk}/reply/", {"body": "Hi there"}).status_code == 204
    desk_client.post(f"/desk/c/{conversation.pk}/reply/", {"body": "VIP, be nice", "private": "on"})
    note = Message.objects.get(body="VIP, be nice")
    assert note.is_private and note.sender_agent == agent
    html = desk_client.get(f"/desk/c/{conversation.pk}/after/", {"seq": 0}).content.decode()
    assert "Private note" in html and "Hi there" in html


def test_an_empty_reply_is_refused_with_its_reason(desk_client, inbox):
    conversation = customer_writes(inbox)
    response = desk_client.post(f"/desk/c/{conversation.pk}/reply/", {"body": "  "})
    assert response.status_code == 422
    assert "HX-Retarget" not in response  # shown where the agent acted (static/desk/refusals.js)
    assert b"needs text or an attachment" in response.content


def test_actions_assign_resolve_reopen_pending_snooze_priority(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    url = f"/desk/c/{conversation.pk}/act/"
    assert desk_client.post(url + "assign/", {"assignee": "me"}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    desk_client.post(url + "priority/", {"priority": 3})
    desk_client.post(url + "pending/")
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.status) == (3, "pending")
    desk_client.post(url + "resolve/")
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    header = desk_client.post(url + "reopen/").content.decode()
    assert 'id="resolve"' in header
    refused = desk_client.post(url + "snooze/", {"until": "2001-01-01T10:00"})
    assert refused.status_code == 422
    desk_client.post(url + "snooze/", {"until": "2099-01-01T10:00"})
    conversation.refresh_from_db()
    assert conversation.status == "snoozed"


def test_saved_replies_are_offered_by_their_short_code(desk_client):
    CannedResponse.objects.create(short_code="shipping", content="We ship within 2 days.")
    CannedResponse.objects.create(short_code="refund", content="Refunds take 5 days.")
    html = desk_client.get("/desk/canned/", {"q": "/sh"}).content.decode()
    assert 'data-content="We ship within 2 days."' in html
    assert "Refunds" not in html


def test_the_availability_switch_shows_a_connected_agent_away_and_back(desk_client, agent):
    AgentConnection.objects.create(
        agent=agent, channel_name="test.desk", last_seen_at=timezone.now(), last_active_at=timezone.now()
    )
    html = desk_client.post("/desk/me/availability/", {}).content.decode()
    assert AgentProfile.objects.get(user=agent).availability == "away"
    assert 'data-availability="away"' in html
    desk_client.post("/desk/me/availability/", {"accepting": "on"})
    assert AgentProfile.objects.get(user=agent).availability == "online"


def test_the_agent_sees_their_work_against_their_capacity(desk_client, inbox, agent):
    live_inbox = InboxFactory(name="Live", mode="live")
    InboxMembershipFactory(inbox=live_inbox, agent=agent)
    for _ in range(2):
        services.conversation_assign(conversation=customer_writes(inbox), assignee=agent, actor=agent)
    services.conversation_assign(conversation=customer_writes(live_inbox), assignee=agent, actor=agent)
    html = desk_client.get("/desk/me/").content.decode()
    assert "Live 1/3 · Messaging 2/25" in html


def test_a_note_mentioning_an_agent_tells_them_and_no_one_else(
    desk_client, inbox, agent, listen, django_capture_on_commit_callbacks
):
    ben = AgentProfileFactory(display_name="Ben", user__username="ben").user
    InboxMembershipFactory(inbox=inbox, agent=ben)
    outsider = AgentProfileFactory(display_name="Cy", user__username="cy").user  # not in this inbox
    conversation = customer_writes(inbox)
    to_ben, to_cy = listen(agent_group(ben.pk)), listen(agent_group(outsider.pk))
    with django_capture_on_commit_callbacks(execute=True):
        desk_client.post(
            f"/desk/c/{conversation.pk}/reply/",
            {"body": "@Ben @cy can you check the refund?", "private": "on"},
        )
    [mention] = to_ben.receive_all()
    assert mention["type"] == "agent.mentioned" and mention["by"] == "Ana"
    assert mention["conversation_id"] == conversation.pk
    assert to_cy.receive_all() == []


def test_notification_preferences_are_kept_per_agent(desk_client, agent):
    html = desk_client.post("/desk/me/notifications/", {"notify_browser": "on"}).content.decode()
    profile = AgentProfile.objects.get(user=agent)
    assert (profile.notify_sound, profile.notify_browser) == (False, True)
    assert 'data-notify-browser="on"' in html


def test_bulk_actions_assign_label_and_resolve_the_ticked_conversations(desk_client, inbox, agent):
    ticked = [customer_writes(inbox) for _ in range(3)]
    untouched = customer_writes(inbox)
    ids = [c.pk for c in ticked]
    label = Label.objects.create(name="refund")
    assert (
        desk_client.post("/desk/bulk/", {"ids": ids, "action": "assign", "assignee": "me"}).status_code == 204
    )
    desk_client.post("/desk/bulk/", {"ids": ids, "action": "label", "label": label.pk})
    response = desk_client.post("/desk/bulk/", {"ids": ids, "action": "resolve"})
    assert response["HX-Trigger"] == "parley:bulk"
    for conversation in Conversation.objects.filter(pk__in=ids):
        assert (conversation.assignee, conversation.status) == (agent, "resolved")
        assert list(conversation.labels.all()) == [label]
    untouched.refresh_from_db()
    assert (untouched.assignee, untouched.status) == (None, "open")


def test_a_saved_view_keeps_the_filters_under_a_name(desk_client, agent):
    html = desk_client.post(
        "/desk/filters/", {"name": "Urgent waiting", "view": "all", "sort": "waiting", "status": "open"}
    ).content.decode()
    saved = SavedFilter.objects.get(agent=agent)
    assert saved.query == "view=all&sort=waiting&status=open"
    assert "Urgent waiting" in html
    desk_client.post(f"/desk/filters/{saved.pk}/delete/")
    assert not SavedFilter.objects.exists()


def test_the_customer_panel_edits_details_and_merges_the_same_person(desk_client, inbox):
    conversation = customer_writes(inbox, contact=ContactFactory(name="Kim", email="kim@example.com"))
    same = customer_writes(inbox, "from my phone", contact=ContactFactory(name="", email="kim@example.com"))
    panel = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    assert "Same email or phone" in panel

    edited = desk_client.post(
        f"/desk/c/{conversation.pk}/contact/",
        {"name": "Kim Lee", "email": "kim@example.com", "language": "ko-KR"},
    )
    assert "Kim Lee" in edited.content.decode() and "<dd>ko</dd>" in edited.content.decode()
    refused = desk_client.post(f"/desk/c/{conversation.pk}/contact/", {"name": "Kim", "email": "nope"})
    assert refused.status_code == 422
    refused = desk_client.post(f"/desk/c/{conversation.pk}/contact/", {"name": "Kim", "language": "Korean"})
    assert refused.status_code == 422 and "not a language tag" in refused.content.decode()
    conversation.contact.refresh_from_db()
    assert (conversation.contact.name, conversation.contact.language) == ("Kim Lee", "ko")

    found = desk_client.get(f"/desk/c/{conversation.pk}/contact/search/", {"q": "kim@"}).content.decode()
    assert f'"contact": "{same.contact_id}"' in found
    desk_client.post(f"/desk/c/{conversation.pk}/contact/merge/", {"contact": same.contact_id})
    same.refresh_from_db()
    assert same.contact_id == conversation.contact_id


def test_a_contact_outside_the_agents_inboxes_cannot_be_merged_in(desk_client, inbox):
    conversation = customer_writes(inbox)
    elsewhere = customer_writes(InboxFactory(name="Another brand"))
    response = desk_client.post(
        f"/desk/c/{conversation.pk}/contact/merge/", {"contact": elsewhere.contact_id}
    )
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.contact_id != conversation.contact_id


def test_the_composer_shows_the_channels_limits_before_the_agent_types(desk_client, agent, sms_inbox):
    InboxMembershipFactory(inbox=sms_inbox, agent=agent)
    whatsapp = InboxFactory(name="WhatsApp", channel_type="whatsapp")
    InboxMembershipFactory(inbox=whatsapp, agent=agent)
    sms = customer_writes(sms_inbox)
    late = customer_writes(whatsapp)
    Message.objects.filter(conversation=late).update(created_at=timezone.now() - timedelta(days=2))

    sms_pane = desk_client.get(f"/desk/c/{sms.pk}/").content.decode()
    assert 'data-max-length="1600" data-sms="on"' in sms_pane
    late_pane = desk_client.get(f"/desk/c/{late.pk}/").content.decode()
    assert 'data-window="closed"' in late_pane
    assert "only lets you send an approved template" in late_pane


@pytest.mark.skipif(not ON_POSTGRES, reason="full-text search is Postgres's; SQLite matches substrings")
def test_on_postgres_search_is_full_text_words_in_any_order_and_never_private_notes(
    desk_client, inbox, agent
):
    found = customer_writes(
        inbox, "The zipper on my jacket broke", contact=ContactFactory(name="Grace Hopper")
    )
    hidden = customer_writes(inbox, "Hello", contact=ContactFactory(name="Alan Turing"))
    services.message_post_reply(conversation=hidden, agent=agent, body="zipper jacket note", is_private=True)
    html = desk_client.get("/desk/list/", {"view": "all", "q": "jacket zipper"}).content.decode()
    assert f'data-conversation-id="{found.pk}"' in html and "Alan Turing" not in html


def test_the_header_moves_a_conversation_to_a_team_and_sets_its_labels(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent)
    team = TeamFactory(name="Billing")
    refund, vip = Label.objects.create(name="refund"), Label.objects.create(name="vip")
    url = f"/desk/c/{conversation.pk}/act/"
    desk_client.post(url + "team/", {"team": team.pk})
    header = desk_client.post(url + "labels/", {"labels": [refund.pk, vip.pk]}).content.decode()
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (team, agent)  # the assignee stays
    assert set(conversation.labels.all()) == {refund, vip}
    chip = f'<span class="label" data-label-id="{refund.pk}" style="--label-color: #6b7280">refund</span>'
    assert chip in header


def test_the_header_says_what_skill_a_conversation_needs(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    url = f"/desk/c/{conversation.pk}/"
    assert 'name="skill"' not in desk_client.get(url).content.decode()  # no skills defined: no select
    billing = Skill.objects.create(name="billing")
    assert f'<option value="{billing.pk}">Needs billing</option>' in desk_client.get(url).content.decode()

    header = desk_client.post(url + "act/skill/", {"skill": billing.pk}).content.decode()
    assert f'<option value="{billing.pk}" selected>Needs billing</option>' in header
    conversation.refresh_from_db()
    assert conversation.skill == billing
    line = conversation.messages.order_by("-seq").first()
    assert line.is_private and line.body.endswith("the conversation needs billing")
    desk_client.post(url + "act/skill/", {"skill": ""})
    conversation.refresh_from_db()
    assert conversation.skill is None
