"""Failed deliveries in the admin: found by filter, sent again through message_retry_delivery."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from conversations.models import Message, OutboundDelivery

Status = Message.DeliveryStatus


@pytest.fixture
def failed_reply(every_kind_of_record) -> Message:
    return Message.objects.get(delivery_status=Status.FAILED)


def reported(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_failed_messages_are_found_with_the_providers_reason(admin_client, failed_reply):
    url = reverse("admin:conversations_message_changelist")

    response = admin_client.get(url, {"delivery_status__exact": "failed"})

    assert list(response.context["cl"].result_list) == [failed_reply]
    assert "Unreachable handset" in response.content.decode()


def test_retry_action_queues_failed_messages_and_leaves_the_others(
    admin_client, failed_reply, django_capture_on_commit_callbacks
):
    delivered = Message.objects.filter(delivery_status=Status.DELIVERED).first()

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse("admin:conversations_message_changelist"),
            {"action": "retry_delivery", "_selected_action": [failed_reply.pk, delivered.pk]},
            follow=True,
        )

    failed_reply.refresh_from_db()
    assert failed_reply.delivery_status == Status.PENDING
    assert failed_reply.provider_error == ""
    outbox = OutboundDelivery.objects.get(message=failed_reply)
    assert (outbox.state, outbox.attempts, outbox.last_error) == (OutboundDelivery.State.QUEUED, 0, "")
    assert Message.objects.get(pk=delivered.pk).delivery_status == Status.DELIVERED
    assert len(callbacks) >= 2  # the delivery task and the message.updated event, after commit
    assert reported(response) == ["Queued again: 1 message.", "Not failed, left alone: 1 message."]


def test_dead_letter_list_retries_from_the_outbox(admin_client, failed_reply):
    dead = OutboundDelivery.objects.get(message=failed_reply)
    url = reverse("admin:conversations_outbounddelivery_changelist")

    listed = admin_client.get(url, {"state__exact": "dead"})
    retried = admin_client.post(url, {"action": "retry_delivery", "_selected_action": [dead.pk]}, follow=True)

    assert list(listed.context["cl"].result_list) == [dead]
    assert "Unreachable handset" in listed.content.decode()
    dead.refresh_from_db()
    assert dead.state == OutboundDelivery.State.QUEUED
    assert Message.objects.get(pk=failed_reply.pk).delivery_status == Status.PENDING
    assert reported(retried) == ["Queued again: 1 outbound delivery."]


def test_message_page_is_read_only_and_shows_attachments(admin_client, every_kind_of_record):
    message = Message.objects.filter(attachments__isnull=False).first()

    response = admin_client.get(reverse("admin:conversations_message_change", args=[message.pk]))

    assert response.context["has_change_permission"] is False
    (attachments,) = response.context["inline_admin_formsets"]
    assert [form.original.remote_url for form in attachments] == ["https://example.com/a.jpg"]
    assert not attachments.has_add_permission
