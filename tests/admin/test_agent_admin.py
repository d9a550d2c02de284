"""Agents are created and equipped on one admin page: login, profile, inboxes and teams."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from agents.models import AgentProfile, InboxMembership
from tests.factories.agents import AgentProfileFactory, TeamFactory
from tests.factories.conversations import InboxFactory

from .formdata import form_data

User = get_user_model()
ADD_URL = reverse("admin:auth_user_add")
PASSWORD = "a-long-desk-passphrase"


def add_form(client, **changes) -> dict:
    data = form_data(client.get(ADD_URL))
    data.update(username="ines", email="ines@example.com", password1=PASSWORD, password2=PASSWORD)
    data.update(changes)
    return data


def test_add_form_with_blank_inlines_makes_a_staff_agent_with_a_profile(admin_client):
    support = TeamFactory(name="Support")

    response = admin_client.post(ADD_URL, add_form(admin_client, teams=[str(support.pk)]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    agent = User.objects.get(username="ines")
    assert agent.is_staff
    assert not agent.is_superuser
    assert agent.check_password(PASSWORD)
    assert AgentProfile.objects.get(user=agent).availability == AgentProfile.Availability.OFFLINE
    assert list(agent.teams.all()) == [support]
    assert response.url == reverse("admin:auth_user_change", args=[agent.pk])


def test_add_then_change_equips_the_agent_with_profile_inbox_and_teams(admin_client):
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    sms = InboxFactory(name="SMS", channel_type="sms")
    created = admin_client.post(ADD_URL, add_form(admin_client, teams=[str(support.pk)]))
    agent = User.objects.get(username="ines")
    change_url = created.url

    data = form_data(admin_client.get(change_url))
    data.update(
        {
            "agent_profile-0-display_name": "Inès",
            "agent_profile-0-availability": "online",
            "agent_profile-0-live_capacity": "5",
            "inbox_memberships-0-inbox": str(sms.pk),
            "teams": [str(billing.pk)],
        }
    )
    changed = admin_client.post(change_url, data)

    assert changed.status_code == 302, changed.context["errors"]
    profile = AgentProfile.objects.get(user=agent)
    assert (profile.display_name, profile.availability, profile.live_capacity) == ("Inès", "online", 5)
    assert list(InboxMembership.objects.filter(agent=agent).values_list("inbox", flat=True)) == [sms.pk]
    assert list(agent.teams.all()) == [billing]
    assert AgentProfile.objects.filter(user=agent).count() == 1


def test_add_form_takes_profile_inbox_and_team_at_once(admin_client):
    widget = InboxFactory(name="Website")
    support = TeamFactory(name="Support")
    data = add_form(
        admin_client,
        teams=[str(support.pk)],
        **{
            "agent_profile-0-display_name": "Inès",
            "agent_profile-0-messaging_capacity": "40",
            "inbox_memberships-0-inbox": str(widget.pk),
        },
    )

    response = admin_client.post(ADD_URL, data)

    assert response.status_code == 302, response.context["errors"]
    agent = User.objects.get(username="ines")
    assert agent.is_staff
    assert agent.agent_profile.display_name == "Inès"
    assert agent.agent_profile.messaging_capacity == 40
    assert agent.inbox_memberships.get().inbox == widget
    assert list(agent.teams.all()) == [support]


def test_change_form_shows_current_teams_and_keeps_them_when_untouched(admin_client):
    support = TeamFactory(name="Support")
    agent = AgentProfileFactory(display_name="Ana").user
    support.members.add(agent)
    url = reverse("admin:auth_user_change", args=[agent.pk])

    data = form_data(admin_client.get(url))
    assert data["teams"] == str(support.pk)
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert list(agent.teams.all()) == [support]


def test_agent_list_shows_name_availability_and_admin_flag_and_filters_by_team(admin_client):
    support = TeamFactory(name="Support")
    ana = AgentProfileFactory(display_name="Ana Lima", availability="online").user
    support.members.add(ana)
    AgentProfileFactory(display_name="Bo Chen")
    url = reverse("admin:auth_user_changelist")

    page = admin_client.get(url).content.decode()
    in_support = admin_client.get(url, {"teams__id__exact": support.pk}).context["cl"].result_list
    online = admin_client.get(url, {"agent_profile__availability__exact": "online"}).context["cl"].result_list

    assert "Ana Lima" in page
    assert "Bo Chen" in page
    assert ">Online<" in page
    assert list(in_support) == [ana]
    assert list(online) == [ana]


def test_an_agent_who_has_read_conversations_can_still_be_deleted(admin_client, every_kind_of_record):
    conversation = every_kind_of_record.conversations[0]
    agent = conversation.assignee
    assert agent.inbox_memberships.exists()
    url = reverse("admin:auth_user_delete", args=[agent.pk])

    assert admin_client.get(url).context["perms_lacking"] == set()
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=agent.pk).exists()
    assert conversation.messages.filter(sender_kind="agent", sender_agent__isnull=True).exists()
