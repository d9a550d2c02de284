"""Conversations in the admin: actions go through the services, the thread is read-only, and the
form cannot write what the services own (status, seq)."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from conversations import services
from conversations.models import Conversation, Label, Message
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, TeamFactory
from tests.factories.conversations import ConversationFactory, InboxFactory

from .formdata import form_data

CHANGELIST = "admin:conversations_conversation_changelist"


def run_action(client, action: str, conversations: list[Conversation]):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [c.pk for c in conversations]},
        follow=True,
    )


def reported(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def thread_formsets(response) -> list:
    return [formset for formset in response.context["inline_admin_formsets"] if formset.opts.model is Message]


def activity(conversation: Conversation) -> list[str]:
    return list(
        conversation.messages.filter(sender_kind=Message.SenderKind.SYSTEM, is_private=True)
        .order_by("seq")
        .values_list("body", flat=True)
    )


def test_resolve_action_resolves_through_the_service(admin_client, build_business):
    open_one, other, already_resolved = build_business(3).conversations
    services.conversation_resolve(conversation=already_resolved, actor=None)
    seq_before = open_one.last_seq

    response = run_action(admin_client, "resolve_selected", [open_one, other, already_resolved])

    for conversation in (open_one, other, already_resolved):
        conversation.refresh_from_db()
        assert conversation.status == Conversation.Status.RESOLVED
        assert conversation.resolved_at is not None
    assert open_one.last_seq == seq_before + 1  # the activity line took the next seq
    assert activity(open_one)[-1] == "admin resolved the conversation"
    assert reported(response) == ["Resolved: 2 conversations.", "Already resolved: 1 conversation."]


def test_reopen_action_reopens_resolved_conversations(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    services.conversation_resolve(conversation=conversation, actor=None)

    response = run_action(admin_client, "reopen_selected", [conversation])

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.resolved_at is None
    assert activity(conversation)[-1] == "admin reopened the conversation"
    assert reported(response) == ["Reopened: 1 conversation."]


def test_assign_to_me_assigns_the_administrator(admin_client, admin_user, build_business):
    first, second = build_business(2).conversations

    response = run_action(admin_client, "assign_to_me", [first, second])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignee == second.assignee == admin_user
    assert activity(first)[-1] == "admin self-assigned the conversation"
    assert reported(response) == ["Assigned to you: 2 conversations."]


@pytest.fixture
def supervisor_client(client, inbox):
    """A staff user who may change conversations and works only `inbox`."""
    supervisor = AgentProfileFactory(display_name="Sam").user
    supervisor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_conversation", "change_conversation"])
    )
    InboxMembershipFactory(inbox=inbox, agent=supervisor)
    client.force_login(supervisor)
    client.supervisor = supervisor
    return client


def test_assign_to_me_reports_each_refusal_with_the_services_reason(supervisor_client, inbox):
    mine = ConversationFactory(inbox=inbox)
    elsewhere = ConversationFactory(inbox=InboxFactory(name="Billing"))

    response = run_action(supervisor_client, "assign_to_me", [mine, elsewhere])

    mine.refresh_from_db()
    elsewhere.refresh_from_db()
    assert mine.assignee == supervisor_client.supervisor
    assert elsewhere.assignee is None
    assert activity(elsewhere) == []
    assert reported(response) == [
        "Assigned to you: 1 conversation.",
        f"Failed for 1 conversation: #{elsewhere.pk}: "
        f"{supervisor_client.supervisor.username} is not a member of the inbox Billing.",
    ]


def test_thread_is_shown_read_only_in_seq_order(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    services.message_receive(
        inbox=conversation.inbox,
        contact=conversation.contact,
        conversation_id=conversation.pk,
        body="Anyone?",
    )

    response = admin_client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk]))

    (thread,) = [
        formset for formset in response.context["inline_admin_formsets"] if formset.opts.model is Message
    ]
    assert not thread.has_add_permission
    assert not thread.has_change_permission
    assert not thread.has_delete_permission
    shown = [form.original.seq for form in thread]
    assert shown == list(range(1, conversation.last_seq + 2))
    page = response.content.decode()
    assert page.index("Hello, order 0 is late") < page.index("On it!") < page.index("Anyone?")


def test_change_form_saves_priority_and_labels_but_never_status_or_seq(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])
    data = form_data(admin_client.get(url))
    assert "status" not in data
    assert "last_seq" not in data
    data.update(priority=str(Conversation.Priority.URGENT), labels=[], status="resolved", last_seq="0")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Conversation.objects.get(pk=conversation.pk)
    assert saved.priority == Conversation.Priority.URGENT
    assert list(saved.labels.all()) == []
    assert saved.status == Conversation.Status.OPEN
    assert saved.last_seq == conversation.last_seq
    assert Message.objects.filter(conversation=saved).count() == conversation.last_seq


def test_change_form_assigns_through_the_service_and_checks_membership(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    member = AgentProfileFactory(display_name="Mia").user
    InboxMembershipFactory(inbox=conversation.inbox, agent=member)
    outsider = AgentProfileFactory(display_name="Olu").user
    team = TeamFactory(name="Escalations")
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])
    data = form_data(admin_client.get(url))

    refused = admin_client.post(url, {**data, "assignee": str(outsider.pk)})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["assignee"] == [
        f"{outsider} is not an active member of {conversation.inbox}."
    ]
    accepted = admin_client.post(url, {**data, "assignee": str(member.pk), "team": str(team.pk)})
    assert accepted.status_code == 302

    conversation.refresh_from_db()
    assert conversation.assignee == member
    assert conversation.team == team
    assert activity(conversation)[-2:] == [
        "admin assigned the conversation to Mia",
        "admin moved the conversation to team Escalations",
    ]


def test_conversations_and_messages_cannot_be_added_or_edited(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    message = conversation.messages.first()

    assert admin_client.get(reverse("admin:conversations_message_add")).status_code == 403
    assert admin_client.get(reverse("admin:conversations_conversation_add")).status_code == 403
    edit = admin_client.post(
        reverse("admin:conversations_message_change", args=[message.pk]), {"body": "rewritten", "seq": "99"}
    )
    assert edit.status_code == 403
    message.refresh_from_db()
    assert (message.body, message.seq) == ("Hello, order 0 is late", 1)
    delete = admin_client.post(
        reverse("admin:conversations_message_delete", args=[message.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()


def add_exchanges(conversation: Conversation, count: int) -> None:
    for n in range(count):
        services.message_receive(
            inbox=conversation.inbox,
            contact=conversation.contact,
            conversation_id=conversation.pk,
            body=f"q{n}",
        )
        services.message_post_reply(conversation=conversation, agent=conversation.assignee, body=f"a{n}")


@pytest.mark.parametrize("exchanges", [0, 10])
def test_change_page_query_count_does_not_grow_with_the_thread(
    admin_client, build_business, django_assert_num_queries, exchanges
):
    (conversation,) = build_business(1).conversations
    add_exchanges(conversation, exchanges)
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])

    # session, user, conversation, its labels, messages (agents joined), then the form's choices:
    # contact, inbox, assignee, team, labels
    with django_assert_num_queries(10):
        response = admin_client.get(url)

    assert response.status_code == 200


def test_thread_inline_shows_only_the_latest_messages(admin_client, build_business, monkeypatch):
    monkeypatch.setattr("conversations.admin.conversations.INLINE_MESSAGE_LIMIT", 4)
    (conversation,) = build_business(1).conversations
    add_exchanges(conversation, 3)
    conversation.refresh_from_db()

    response = admin_client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk]))

    (thread,) = [
        formset for formset in response.context["inline_admin_formsets"] if formset.opts.model is Message
    ]
    assert [form.original.seq for form in thread] == list(
        range(conversation.last_seq - 3, conversation.last_seq + 1)
    )


def test_change_form_clears_the_team_through_the_service(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    assert conversation.team is not None
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])
    data = form_data(admin_client.get(url))

    response = admin_client.post(url, {**data, "team": ""})

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.team is None
    assert conversation.messages.filter(body__endswith="moved the conversation to no team").exists()


def test_change_form_sets_priority_and_labels_without_touching_seq(admin_client, build_business):
    (conversation,) = build_business(1).conversations
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])
    data = form_data(admin_client.get(url))
    vip = Label.objects.create(name="vip-customer")

    response = admin_client.post(url, {**data, "priority": "4", "labels": [str(vip.pk)]})

    assert response.status_code == 302
    refreshed = Conversation.objects.get(pk=conversation.pk)
    assert refreshed.priority == Conversation.Priority.URGENT
    assert list(refreshed.labels.values_list("name", flat=True)) == ["vip-customer"]
    assert refreshed.last_seq == conversation.last_seq


def test_deleting_a_contact_takes_whole_threads_but_messages_never_go_one_by_one(
    admin_client, build_business
):
    kept, erased = build_business(2).conversations
    url = reverse("admin:conversations_contact_delete", args=[erased.contact.pk])

    confirm = admin_client.get(url)
    assert confirm.context["perms_lacking"] == set()
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Conversation.objects.filter(pk=erased.pk).exists()
    assert not Message.objects.filter(conversation_id=erased.pk).exists()
    assert list(kept.messages.values_list("seq", flat=True)) == list(range(1, kept.last_seq + 1))
