"""An agent writes their own macros in the desk (/desk/macros/): saved with their steps in order
and offered in every conversation's Macros menu to them alone; a step that could not run is
refused above the form with what was typed kept; nobody edits or deletes another's macro."""

import pytest
from django.urls import reverse

from automation.models import Macro
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import LabelFactory

from .conftest import make_macro

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def steps(*rows: tuple[str, str], total: int = 8) -> dict[str, str]:
    data = {
        "form-TOTAL_FORMS": str(total),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "8",
        "form-MAX_NUM_FORMS": "8",
    }
    for number, (kind, argument) in enumerate(rows):
        data[f"form-{number}-kind"], data[f"form-{number}-argument"] = kind, argument
    return data


def test_an_agent_writes_a_macro_and_finds_it_in_the_conversation_menu(desk_client, agent, conversation):
    LabelFactory(name="billing")
    answer = desk_client.post(
        reverse("desk:my-macro-new"),
        {"name": "To billing", **steps(("add_label", "billing"), ("set_priority", "high"))},
    )
    assert answer.status_code == 302
    macro = Macro.objects.get(name="To billing")
    assert macro.owner == agent
    assert [(step.kind, step.argument) for step in macro.actions.all()] == [
        ("add_label", "billing"),
        ("set_priority", "high"),
    ]
    menu = desk_client.get(reverse("desk:macros", args=[conversation.pk])).content.decode()
    assert "To billing" in menu and "Set priority: high" in menu

    other = AgentProfileFactory(display_name="Ben").user
    desk_client.force_login(other)
    assert "To billing" not in desk_client.get(reverse("desk:my-macros")).content.decode()


def test_a_step_that_could_not_run_is_refused_with_what_was_typed_kept(desk_client):
    answer = desk_client.post(
        reverse("desk:my-macro-new"), {"name": "Tag it", **steps(("add_label", "no-such-label"))}
    )
    page = answer.content.decode()
    assert answer.status_code == 422
    assert "Step 1: No label is called &#x27;no-such-label&#x27;." in page
    assert 'value="Tag it"' in page and 'value="no-such-label"' in page
    assert not Macro.objects.exists()


def test_a_webhook_step_is_not_offered_to_a_macro(desk_client):
    answer = desk_client.post(reverse("desk:my-macro-new"), {"name": "CRM", **steps(("send_webhook", "crm"))})
    assert answer.status_code == 422
    assert not Macro.objects.exists()


def test_an_agent_edits_and_deletes_only_their_own_macros(desk_client, agent):
    own = make_macro("Mine", [("resolve", "")], owner=agent)
    shared = make_macro("Shared", [("resolve", "")])
    theirs = make_macro("Theirs", [("resolve", "")], owner=AgentProfileFactory(display_name="Ben").user)

    for macro in (shared, theirs):
        assert desk_client.get(reverse("desk:my-macro", args=[macro.pk])).status_code == 404
        assert desk_client.post(reverse("desk:my-macro-delete", args=[macro.pk])).status_code == 404
    answer = desk_client.post(
        reverse("desk:my-macro", args=[own.pk]), {"name": "Mine, renamed", **steps(("resolve", ""))}
    )
    assert answer.status_code == 302
    own.refresh_from_db()
    assert own.name == "Mine, renamed"
    assert desk_client.post(reverse("desk:my-macro-delete", args=[own.pk])).status_code == 302
    assert set(Macro.objects.values_list("name", flat=True)) == {"Shared", "Theirs"}


def test_the_list_costs_the_same_queries_for_one_macro_or_many(
    desk_client, agent, django_assert_num_queries, django_assert_max_num_queries
):
    make_macro("One", [("resolve", "")], owner=agent)
    with django_assert_max_num_queries(6) as one:
        desk_client.get(reverse("desk:my-macros"))
    for number in range(6):
        make_macro(
            f"More {number}", [("resolve", ""), ("set_priority", "low")], owner=agent if number % 2 else None
        )
    with django_assert_num_queries(len(one.captured_queries)):
        assert desk_client.get(reverse("desk:my-macros")).status_code == 200
