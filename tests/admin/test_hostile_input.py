"""Admin forms are a door too: a JSON field given text Postgres cannot store is a form error on
that field, and the record keeps what it had."""

import pytest
from django.urls import reverse

from conversations.models import Contact, Inbox
from tests.admin.formdata import form_data
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bad", ['{"plan": "pro\\u0000"}', '{"plan": "\\ud800"}', '{"\\u0000": 1}'])
def test_a_contacts_custom_attributes_with_unstorable_text_are_refused_on_the_field(admin_client, bad):
    contact = ContactFactory(custom_attributes={"plan": "basic"})
    url = reverse("admin:conversations_contact_change", args=[contact.pk])
    data = {**form_data(admin_client.get(url)), "custom_attributes": bad}
    answer = admin_client.post(url, data)
    assert answer.status_code == 200
    assert "custom_attributes" in answer.context["adminform"].form.errors
    assert Contact.objects.get(pk=contact.pk).custom_attributes == {"plan": "basic"}


def test_an_inboxs_channel_settings_with_a_nul_are_refused_on_the_field(admin_client):
    inbox = InboxFactory(config={"note": "ok"})
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    data = {**form_data(admin_client.get(url)), "config": '{"note": "a\\u0000b"}'}
    answer = admin_client.post(url, data)
    assert answer.status_code == 200
    assert "config" in answer.context["adminform"].form.errors
    assert Inbox.objects.get(pk=inbox.pk).config == {"note": "ok"}
