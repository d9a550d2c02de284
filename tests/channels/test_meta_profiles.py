"""Messenger and Instagram customers get their names and pictures: their webhooks name nobody, so
once their message is stored a job asks Graph's User Profile API (the local fake, answering in
Meta's format) and fills what is blank on the contact. The webhook goes through the real URL,
signed as Meta signs; the job is queued after commit and its task is called here, as a worker
would (no eager Celery)."""

import logging
from functools import partial

import pytest
from django.core.cache import cache

from channels_in.models import WebhookReceipt
from channels_in.profiles import FETCH_PROFILE, contact_profile_fetch, profile_asked_key
from channels_in.tasks import fetch_contact_profile
from conversations import services
from conversations.models import Contact, Message
from conversations.registry import TransientDeliveryError
from tests.channels.conftest import INSTAGRAM_ACCOUNT_ID, PAGE_ID
from tests.channels.test_meta_webhooks import messaging, post_signed

PSID = "6789012345678901"
IGSID = "5566778899001122"
# Meta's pictures are signed CDN links, longer than a URLField's default 200 characters.
PICTURE = (
    "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=6789012345678901&width=1024"
    "&ext=1795362600&hash=AbYfQ7xJ2kLm9NpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    "AbCdEfGhIjKlMnOpQrStUvWxYz"
)
IG_PICTURE = "https://scontent.cdninstagram.com/v/t51.2885-19/44884218_345707102882519_n.jpg?oh=00_Ab&oe=6777"


def unnamed_customer(inbox, source_id: str) -> Contact:
    """A customer Parley knows only by their page-scoped id, not yet asked about."""
    contact = services.contact_identify(inbox=inbox, source_id=source_id)
    cache.delete(profile_asked_key(contact.pk))
    return contact


@pytest.fixture(autouse=True)
def forget_asked_profiles(db):
    yield
    cache.delete_many([profile_asked_key(pk) for pk in Contact.objects.values_list("pk", flat=True)])


def logged(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "channels_in.profiles"]


def write(client, captured, inbox, customer: str, mid: str, text: str = "hi, is my order on its way?"):
    """The customer's message as Meta posts it; answers the profile jobs it queued after commit."""
    if inbox.channel_type == "instagram":
        payload, path = (
            messaging("instagram", INSTAGRAM_ACCOUNT_ID, customer, message={"mid": mid, "text": text}),
            "ig-main",
        )
    else:
        payload, path = messaging("page", PAGE_ID, customer, message={"mid": mid, "text": text}), "fb-main"
    with captured() as callbacks:
        assert post_signed(client, f"/hooks/{inbox.channel_type}/{path}/", payload).status_code == 200
    return [c.args[1:] for c in callbacks if isinstance(c, partial) and c.args[:1] == (FETCH_PROFILE,)]


def test_a_messenger_customers_first_message_names_them_with_their_picture(
    client, fake_provider, messenger_inbox, django_capture_on_commit_callbacks
):
    fake_provider.add_profile(PSID, first_name="Peter", last_name="Chang", profile_pic=PICTURE)
    contact = unnamed_customer(messenger_inbox, PSID)

    jobs = write(client, django_capture_on_commit_callbacks, messenger_inbox, PSID, "m_first")

    assert jobs == [(contact.pk, messenger_inbox.pk)]
    assert Message.objects.get(provider_message_id="m_first").conversation.contact_id == contact.pk
    assert fake_provider.requests() == []  # nothing asked on the message's path
    fetch_contact_profile(*jobs[0])
    contact.refresh_from_db()
    assert (contact.name, contact.avatar_url) == ("Peter Chang", PICTURE)
    (asked,) = fake_provider.requests("messenger")
    assert (asked["method"], asked["path"], asked["status"]) == ("GET", f"/v21.0/{PSID}", 200)
    assert asked["query"] == {"fields": ["first_name,last_name,profile_pic"]}
    assert asked["headers"]["authorization"] == f"Bearer {messenger_inbox.config['page_access_token']}"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ({"name": "Peter Chang", "username": "peter_chang_live"}, "Peter Chang"),
        ({"username": "peter_chang_live"}, "@peter_chang_live"),
    ],
)
def test_an_instagram_customer_is_named_by_their_name_or_else_their_username(
    client, fake_provider, instagram_inbox, django_capture_on_commit_callbacks, given, shown
):
    fake_provider.add_profile(IGSID, kind="instagram", profile_pic=IG_PICTURE, **given)
    contact = unnamed_customer(instagram_inbox, IGSID)

    (job,) = write(client, django_capture_on_commit_callbacks, instagram_inbox, IGSID, "ig_first")
    fetch_contact_profile(*job)

    contact.refresh_from_db()
    assert (contact.name, contact.avatar_url) == (shown, IG_PICTURE)
    (asked,) = fake_provider.requests("messenger")
    assert (asked["status"], asked["query"]) == (200, {"fields": ["name,username,profile_pic"]})


def test_a_profile_graph_refuses_leaves_the_contact_and_is_not_asked_again_that_day(
    client, fake_provider, messenger_inbox, django_capture_on_commit_callbacks, caplog
):
    contact = unnamed_customer(messenger_inbox, PSID)  # the fake shows no profile for them

    (job,) = write(client, django_capture_on_commit_callbacks, messenger_inbox, PSID, "m_first")
    with caplog.at_level(logging.INFO, logger="channels_in.profiles"):
        fetch_contact_profile(*job)
    again = write(client, django_capture_on_commit_callbacks, messenger_inbox, PSID, "m_second", "hello?")

    contact.refresh_from_db()
    assert (contact.name, contact.avatar_url) == ("", "")
    (refused,) = fake_provider.requests("messenger")
    assert refused["status"] == 400
    (line,) = logged(caplog)
    assert line.levelno == logging.INFO and "shows no profile" in line.getMessage()
    assert again == []  # the second message within the day asks nothing
    assert set(WebhookReceipt.objects.values_list("state", flat=True)) == {WebhookReceipt.State.APPLIED}
    assert Message.objects.filter(conversation__contact=contact).count() == 2


def test_a_token_meta_no_longer_takes_is_logged_as_the_inboxs_problem(
    client, fake_provider, messenger_inbox, django_capture_on_commit_callbacks, caplog
):
    messenger_inbox.config = {**messenger_inbox.config, "page_access_token": "expired-token"}
    messenger_inbox.save(update_fields=["config"])
    fake_provider.add_profile(PSID, first_name="Peter", last_name="Chang")
    contact = unnamed_customer(messenger_inbox, PSID)

    (job,) = write(client, django_capture_on_commit_callbacks, messenger_inbox, PSID, "m_first")
    with caplog.at_level(logging.INFO, logger="channels_in.profiles"):
        fetch_contact_profile(*job)

    contact.refresh_from_db()
    assert contact.name == ""
    assert fake_provider.requests("messenger")[0]["status"] == 401
    (line,) = logged(caplog)
    assert line.levelno == logging.WARNING and "access token" in line.getMessage()


def test_a_name_an_agent_set_is_never_asked_about_nor_overwritten(
    client, fake_provider, messenger_inbox, django_capture_on_commit_callbacks
):
    fake_provider.add_profile(PSID, first_name="Peter", last_name="Chang", profile_pic=PICTURE)
    named = unnamed_customer(messenger_inbox, PSID)
    services.contact_edit(contact=named, name="Peter (VIP)", email="", phone="")

    assert write(client, django_capture_on_commit_callbacks, messenger_inbox, PSID, "m_first") == []

    other = unnamed_customer(messenger_inbox, "1234567890123456")
    fake_provider.add_profile("1234567890123456", first_name="Ana", last_name="Lima", profile_pic=PICTURE)
    (job,) = write(client, django_capture_on_commit_callbacks, messenger_inbox, "1234567890123456", "m_2")
    services.contact_edit(contact=other, name="Ana from the shop", email="", phone="")  # before the job runs
    fetch_contact_profile(*job)

    named.refresh_from_db()
    other.refresh_from_db()
    assert named.name == "Peter (VIP)"
    assert (other.name, other.avatar_url) == ("Ana from the shop", PICTURE)  # only the blank is filled


def test_a_graph_that_is_down_is_retried_by_the_task(fake_provider, messenger_inbox):
    contact = unnamed_customer(messenger_inbox, PSID)
    fake_provider.behave(script=[{"match": "messenger", "respond": "500", "calls": "other"}])

    with pytest.raises(TransientDeliveryError):
        contact_profile_fetch(contact.pk, messenger_inbox.pk)

    contact.refresh_from_db()
    assert contact.name == ""


def test_customers_whose_provider_names_them_are_not_asked(
    client, whatsapp_inbox, django_capture_on_commit_callbacks
):
    """A WhatsApp webhook carries the customer's name; there is no profile to ask for."""
    contact = unnamed_customer(whatsapp_inbox, "16505551234")
    with django_capture_on_commit_callbacks() as callbacks:
        post_signed(client, "/hooks/whatsapp/wa-main/", _whatsapp_text_without_name())

    assert not [c for c in callbacks if isinstance(c, partial) and c.args[:1] == (FETCH_PROFILE,)]
    assert Message.objects.filter(conversation__contact=contact).exists()


def _whatsapp_text_without_name() -> dict:
    from tests.channels.test_meta_webhooks import whatsapp_value

    message = {"from": "16505551234", "id": "wamid.noname", "timestamp": "1795103600", "type": "text"}
    return whatsapp_value(messages=[{**message, "text": {"body": "hello"}}])
