"""The adapter contract for offered replies (Message.actions), run against each entry in
adapter_cases.CASES (the rest of the contract is test_adapter_contract.py):

- each channel declares, in conversations/capabilities.py, as many buttons as its entry draws;
- a message offering replies the channel can draw sends them as the provider's buttons: ids kept,
  titles shortened only where the provider shows fewer characters;
- more replies than the channel draws go as the text alone (the answer bot numbered them in it);
- a tap on a button comes back once, as the customer's message whose body is the whole title,
  which the answer bot reads as that pick.

Real parts only: Postgres, the fake provider's wire formats, signed posts.
"""

import pytest

from answerbot.reading import picked_action
from conversations.capabilities import capabilities_of
from conversations.models import Message
from conversations.services.appending import MAX_ACTIONS
from conversations.tasks import deliver_message
from tests.channels.adapter_cases import CASES
from tests.channels.adapter_cases.entry import AdapterCase, Buttons, Endpoint, NoButtons
from tests.channels.conftest import reply_to

pytestmark = pytest.mark.django_db

OFFERED = [
    {"id": "solved", "title": "Yes, that solved it"},
    {"id": "not_solved", "title": "No, talk to a person"},
    {"id": "other", "title": "Show me something else, please"},
]
SHOWN_IN_20 = {"other": "Show me something e…"}  # written out, not computed by the adapter's code
DRAWING = [case for case in CASES if isinstance(case.buttons, Buttons)]


def limit_of(case: AdapterCase) -> int:
    return case.buttons.limit if isinstance(case.buttons, Buttons) else 0


def offering(
    request: pytest.FixtureRequest, case: AdapterCase, actions: list[dict]
) -> tuple[Endpoint, Message]:
    """A pending reply on the case's sending inbox that offers `actions` (as the bot's do: the
    adapter sends what the message carries, whoever wrote it), and where it will go."""
    endpoint = case.sending.endpoint(request)
    reply = reply_to(
        request.getfixturevalue(case.sending.inbox), case.sending.customer, body="Did that solve it?"
    )
    Message.objects.filter(pk=reply.pk).update(actions=actions)
    reply.refresh_from_db()
    return endpoint, reply


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_channel_declares_the_buttons_its_adapter_draws(case: AdapterCase):
    assert capabilities_of(case.channel_type).buttons == limit_of(case)
    if isinstance(case.buttons, NoButtons):
        assert case.buttons.why, "say what the customer gets instead of buttons"


@pytest.mark.parametrize("case", DRAWING, ids=str)
def test_offered_replies_go_as_the_providers_buttons(request, case: AdapterCase, no_requeue):
    actions = OFFERED[: case.buttons.limit]
    endpoint, reply = offering(request, case, actions)

    deliver_message(reply.pk)

    [send] = endpoint.accepted()
    shown = {} if case.buttons.title_length is None else SHOWN_IN_20
    assert case.buttons.title_length in (None, 20)
    assert case.buttons.drawn(send) == [
        {"id": action["id"], "title": shown.get(action["id"], action["title"])} for action in actions
    ]
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT


@pytest.mark.parametrize("case", [case for case in CASES if limit_of(case) < MAX_ACTIONS], ids=str)
def test_more_replies_than_the_channel_draws_go_as_the_text_alone(request, case: AdapterCase, no_requeue):
    actions = [{"id": f"pick-{number}", "title": f"Choice {number}"} for number in range(limit_of(case) + 1)]
    endpoint, reply = offering(request, case, actions)

    deliver_message(reply.pk)

    [send] = endpoint.accepted()
    assert send["body"] == "Did that solve it?"
    if isinstance(case.buttons, Buttons):
        assert case.buttons.drawn(send) == []
    else:
        assert "buttons" not in send


@pytest.mark.parametrize("case", DRAWING, ids=str)
def test_a_tap_comes_back_once_as_the_whole_title_the_bot_reads_as_that_pick(
    request, case: AdapterCase, no_requeue
):
    actions = OFFERED[: case.buttons.limit]
    endpoint, reply = offering(request, case, actions)
    deliver_message(reply.pk)
    [send] = endpoint.accepted()
    reply.refresh_from_db()
    picked = actions[-1]

    tap = case.buttons.tap(reply, send, picked["id"])
    answers = [tap.post().status_code for _ in range(2)]  # the provider redelivers it

    assert answers[0] in (200, 201) and answers[1] in (200, 201)
    [customer_said] = Message.objects.filter(
        conversation=reply.conversation, sender_kind=Message.SenderKind.CONTACT, seq__gt=reply.seq
    )
    assert customer_said.body == picked["title"]
    assert picked_action(customer_said.body, actions) == picked["id"]
