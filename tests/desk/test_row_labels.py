"""Labels on the desk's list rows (issue 21, point 5): each row shows its conversation's labels
as the header does, in their colours, the first few and "+N" for the rest; the one-row fetch an
event asks for shows them too, and the bulk actions add and remove a label on the ticked rows."""

import re

import pytest

from conversations import services
from conversations.models import Conversation
from desk.views.rows import MAX_ROW_LABELS
from tests.factories.conversations import ContactFactory, LabelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def customer_writes(inbox, body: str = "Hello") -> Conversation:
    return services.message_receive(inbox=inbox, contact=ContactFactory(), body=body).conversation


def labelled(conversation: Conversation, *labels, agent) -> None:
    services.conversation_update(conversation=conversation, actor=agent, labels=labels)


def row_html(html: str, conversation: Conversation) -> str:
    found = re.search(rf'<li class="row[^"]*" data-conversation-id="{conversation.pk}".*?</li>', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def chips(html: str) -> list[str]:
    """The label chips' texts, in the order shown."""
    return re.findall(r'<span class="label"[^>]*>([^<]*)</span>', html)


def test_a_row_shows_its_labels_in_their_colours(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    vip = LabelFactory(name="vip", color="#dc2626")
    refund = LabelFactory(name="refund", color="#2563eb")
    labelled(conversation, vip, refund, agent=agent)
    row = row_html(desk_client.get("/desk/list/", {"view": "all"}).content.decode(), conversation)
    assert chips(row) == ["refund", "vip"]  # by name, as the header lists them
    assert re.search(rf'data-label-id="{vip.pk}"[^>]*--label-color: #dc2626', row)


def test_a_row_shows_the_first_labels_and_counts_the_rest(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    labels = [LabelFactory(name=f"tag-{n}") for n in range(MAX_ROW_LABELS + 2)]
    labelled(conversation, *labels, agent=agent)
    row = row_html(desk_client.get("/desk/list/", {"view": "all"}).content.decode(), conversation)
    assert chips(row) == [label.name for label in labels[:MAX_ROW_LABELS]]
    more = re.search(r'<span class="label-more" title="([^"]*)">([^<]*)</span>', row)
    assert more and more.group(2) == "+2"
    assert more.group(1) == "tag-3, tag-4"


def test_a_colour_that_is_not_a_hex_colour_is_not_written_into_the_page(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    odd = LabelFactory(name="odd", color="red;x")
    labelled(conversation, odd, agent=agent)
    row = row_html(desk_client.get("/desk/list/", {"view": "all"}).content.decode(), conversation)
    assert chips(row) == ["odd"]
    assert "red;x" not in row and "--label-color" not in row


def test_the_one_row_an_event_fetches_shows_the_labels_as_they_now_are(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    vip = LabelFactory(name="vip")
    url = f"/desk/list/{conversation.pk}/"
    assert chips(desk_client.get(url, {"view": "all"}).content.decode()) == []
    labelled(conversation, vip, agent=agent)
    assert chips(desk_client.get(url, {"view": "all"}).content.decode()) == ["vip"]


def test_the_page_carries_every_label_as_a_chip_for_rows_patched_from_events(desk_client, inbox):
    vip = LabelFactory(name="vip", color="#dc2626")
    html = desk_client.get("/desk/").content.decode()
    catalogue = re.search(r'<template id="label-chips">(.*?)</template>', html, re.S)
    assert catalogue, "the desk page has no label catalogue"
    assert chips(catalogue.group(1)) == ["vip"]
    assert f'data-label-id="{vip.pk}"' in catalogue.group(1)


def test_bulk_add_and_remove_a_label_on_the_ticked_rows(desk_client, inbox, agent):
    first, second, untouched = customer_writes(inbox), customer_writes(inbox), customer_writes(inbox)
    vip, refund = LabelFactory(name="vip"), LabelFactory(name="refund")
    labelled(second, refund, agent=agent)
    ids = [first.pk, second.pk]
    added = desk_client.post("/desk/bulk/", {"ids": ids, "action": "label", "label": vip.pk})
    assert added.status_code == 204 and added["HX-Trigger"] == "parley:bulk"
    html = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    assert chips(row_html(html, first)) == ["vip"]
    assert chips(row_html(html, second)) == ["refund", "vip"]
    assert chips(row_html(html, untouched)) == []

    removed = desk_client.post("/desk/bulk/", {"ids": ids, "action": "unlabel", "label": vip.pk})
    assert removed.status_code == 204
    html = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    assert chips(row_html(html, first)) == []
    assert chips(row_html(html, second)) == ["refund"]


def test_bulk_remove_without_a_label_picked_is_refused_and_changes_nothing(desk_client, inbox, agent):
    conversation = customer_writes(inbox)
    vip = LabelFactory(name="vip")
    labelled(conversation, vip, agent=agent)
    response = desk_client.post("/desk/bulk/", {"ids": [conversation.pk], "action": "unlabel", "label": ""})
    assert response.status_code == 422
    assert "Pick a label" in response.content.decode()
    assert list(conversation.labels.values_list("name", flat=True)) == ["vip"]


def test_the_bulk_bar_offers_remove_label(desk_client, inbox):
    html = desk_client.get("/desk/").content.decode()
    assert re.search(r'<button[^>]*name="action" value="unlabel"[^>]*>Remove label</button>', html)
