"""Every registered model's list and change pages open, with rows in them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from conversations import services
from tests.factories.conversations import ConversationFactory

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_changelist_and_change_page_open_with_data(admin_client, every_kind_of_record, model):
    opts = model._meta
    record = model._default_manager.order_by("pk").last()
    assert record is not None, f"the fixture made no {opts.label}"

    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    assert change_url in changelist.content.decode()

    change = admin_client.get(change_url)
    assert change.status_code == 200
    assert change.context["original"] == record


def test_the_whole_business_is_administered():
    """Every model of ours has an admin; a model added later without one fails here."""
    from django.apps import apps

    ours = {model for app in ("conversations", "agents") for model in apps.get_app_config(app).get_models()}
    assert ours - set(admin.site._registry) == set()


def test_conversation_list_shows_the_columns_an_administrator_needs(admin_client, build_business):
    conversation = build_business(1).conversations[0]

    page = admin_client.get(reverse("admin:conversations_conversation_changelist")).content.decode()

    assert conversation.contact.name in page
    assert f"{conversation.inbox.name} (Web widget)" in page
    assert conversation.assignee.agent_profile.display_name in page
    assert conversation.team.name in page
    assert "billing, vip" in page


def test_conversation_search_finds_by_contact_phone_and_email(admin_client, build_business):
    first, second = build_business(2).conversations
    second.contact.phone = "+14155550199"
    second.contact.save()
    url = reverse("admin:conversations_conversation_changelist")

    by_phone = admin_client.get(url, {"q": "+14155550199"}).context["cl"].result_list
    by_email = admin_client.get(url, {"q": first.contact.email}).context["cl"].result_list

    assert list(by_phone) == [second]
    assert list(by_email) == [first]


def test_conversation_filters_by_channel_type_and_label(admin_client, build_business):
    business = build_business(4)
    unlabelled = business.conversations[0]
    unlabelled.labels.clear()
    billing = unlabelled.labels.model.objects.get(name="billing")
    url = reverse("admin:conversations_conversation_changelist")

    sms = admin_client.get(url, {"inbox__channel_type__exact": "sms"}).context["cl"].result_list
    labelled = admin_client.get(url, {"labels__id__exact": billing.pk}).context["cl"].result_list

    assert sorted(c.pk for c in sms) == sorted(
        c.pk for c in business.conversations if c.inbox.channel_type == "sms"
    )
    assert len(sms) == 2
    assert unlabelled not in labelled
    assert len(labelled) == 3


def test_contact_and_inbox_lists_count_without_a_query_per_row(admin_client, build_business):
    business = build_business(4)
    widget = business.inboxes[0]
    contact = business.conversations[0].contact
    services.conversation_resolve(conversation=business.conversations[0], actor=None)
    ConversationFactory(contact=contact, inbox=widget)

    contacts = admin_client.get(reverse("admin:conversations_contact_changelist")).context["cl"].result_list
    inboxes = admin_client.get(reverse("admin:conversations_inbox_changelist"))

    assert {row.pk: row.conversation_count for row in contacts}[contact.pk] == 2
    listed = {row.pk: row for row in inboxes.context["cl"].result_list}
    assert listed[widget.pk].member_count == 2
    assert listed[widget.pk].open_conversation_count == 2  # one resolved, one new
    assert widget.public_key in inboxes.content.decode()
