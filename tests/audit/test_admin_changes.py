"""Every change made in the admin is in the log: who, what, which fields (never their values),
from every app's admin, whoever wrote it."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.actors import ActorKind
from audit.admin_site import AuditedAdminMixin
from audit.models import Action
from conversations import services
from tests.admin.formdata import form_data
from tests.factories.agents import TeamFactory
from tests.factories.conversations import ContactFactory

pytestmark = pytest.mark.django_db


def test_every_admin_in_the_tree_is_audited():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert unaudited == []


def test_a_change_in_the_admin_names_the_administrator_the_record_and_the_fields(
    admin_client, admin_user, entries
):
    team = TeamFactory(name="Billing")
    url = reverse("admin:agents_team_change", args=[team.pk])
    data = form_data(admin_client.get(url))
    data["name"] = "Billing EU"

    response = admin_client.post(url, data, HTTP_X_REQUEST_ID="req-7")
    assert response.status_code == 302

    [entry] = entries(action=Action.ADMIN_CHANGED)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (
        ActorKind.ADMINISTRATOR,
        str(admin_user.pk),
        "admin",
    )
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "agents.team",
        str(team.pk),
        "Billing EU",
    )
    assert entry.details == {"changes": ["Name"]}
    assert (entry.ip, entry.request_id) == ("127.0.0.1", "req-7")


def test_additions_and_a_bulk_delete_are_each_recorded(admin_client, entries):
    admin_client.post(reverse("admin:auth_group_add"), {"name": "Night shift"})
    doomed = [Group.objects.get(name="Night shift"), Group.objects.create(name="Weekend")]

    response = admin_client.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [group.pk for group in doomed]},
    )
    assert response.status_code == 302
    assert not Group.objects.exists()

    [added] = entries(action=Action.ADMIN_ADDED)
    assert (added.target_type, added.target_label) == ("auth.group", "Night shift")
    deleted = entries(action=Action.ADMIN_DELETED)
    assert sorted(entry.target_label for entry in deleted) == ["Night shift", "Weekend"]
    assert entries(action=Action.ADMIN_ACTION) == []  # the deletions are the record of that action


def test_an_admin_action_is_recorded_with_what_it_was_run_on(admin_client, inbox, entries):
    conversations = [
        services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
        for _ in range(2)
    ]
    selected = [str(conversation.pk) for conversation in conversations]

    response = admin_client.post(
        reverse("admin:conversations_conversation_changelist"),
        {"action": "resolve_selected", ACTION_CHECKBOX_NAME: selected},
    )
    assert response.status_code == 302

    [entry] = entries(action=Action.ADMIN_ACTION)
    assert entry.actor_kind == ActorKind.ADMINISTRATOR
    assert entry.target_type == "conversations.conversation"
    assert entry.details == {"action": "resolve_selected", "count": 2, "ids": selected}


def test_an_action_on_every_row_of_the_list_counts_them_before_it_acts(admin_client, inbox, entries):
    for _ in range(3):
        services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi")

    admin_client.post(
        reverse("admin:conversations_conversation_changelist") + "?status__exact=open",
        {"action": "resolve_selected", "select_across": "1", ACTION_CHECKBOX_NAME: ["1"]},
    )

    [entry] = entries(action=Action.ADMIN_ACTION)
    assert entry.details == {"action": "resolve_selected", "count": 3, "ids": []}
