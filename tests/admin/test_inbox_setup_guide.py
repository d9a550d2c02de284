"""The inbox's admin page says what to paste where to connect it: the widget's tag (and how to
identify logged-in users) for a web widget, the webhook URL for a provider, the forwarding URL
for email, the credentials command for the API channel (issue 21, point 7)."""

from html import unescape

import pytest
from django.urls import reverse

from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db


def page_text(admin_client, inbox) -> str:
    answer = admin_client.get(reverse("admin:conversations_inbox_change", args=[inbox.pk]))
    assert answer.status_code == 200
    return unescape(answer.content.decode())


def test_a_web_widget_inbox_shows_its_tag_and_the_identity_snippet(admin_client, settings):
    inbox = InboxFactory(channel_type="web_widget")
    text = page_text(admin_client, inbox)
    tag = (
        f'<script src="{settings.PUBLIC_URL}/widget.js" data-parley-key="{inbox.public_key}" async></script>'
    )
    assert tag in text
    assert "Parley.identify({ userId:" in text and "identity secret" in text


@pytest.mark.parametrize(
    ("channel", "slug"),
    [("sms", "twilio"), ("whatsapp", "whatsapp"), ("messenger", "messenger"), ("telegram", "telegram")],
)
def test_a_provider_inbox_shows_the_webhook_url_to_paste(admin_client, settings, channel, slug):
    inbox = InboxFactory(channel_type=channel)
    assert f"{settings.PUBLIC_URL}/hooks/{slug}/{inbox.public_key}/" in page_text(admin_client, inbox)


def test_an_email_inbox_shows_its_forwarding_url_and_the_api_inbox_its_command(admin_client, settings):
    email = InboxFactory(channel_type="email", config={"address": "support@acme.example"})
    api = InboxFactory(channel_type="api")
    assert f"{settings.PUBLIC_URL}/hooks/mailgun/{email.public_key}/mime" in page_text(admin_client, email)
    assert f"python manage.py api_channel_credentials {api.public_key}" in page_text(admin_client, api)


def test_a_new_inbox_says_where_the_guide_will_be(admin_client):
    text = page_text_of_add(admin_client)
    assert "Save the inbox to see what to paste where." in text


def page_text_of_add(admin_client) -> str:
    return unescape(admin_client.get(reverse("admin:conversations_inbox_add")).content.decode())
