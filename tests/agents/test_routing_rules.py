"""What routing matches beyond room, through the real services and commits: the skill a
conversation needs, the customer's language, and the fairness cap per window (with the tests'
clock moving the window on)."""

import pytest

from agents.models import AgentProfile, RoutingDecision, Skill
from agents.presence import agent_set_accepting
from conversations import services
from conversations.models import Conversation
from tests.agents.test_routing import assignee_of, online_agent, write
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox():
    return InboxFactory(name="Support")


def with_profile(agent, **fields) -> None:
    AgentProfile.objects.filter(user=agent).update(**fields)


def write_in(inbox, language: str, body="Bonjour") -> Conversation:
    contact = ContactFactory(language=language)
    return services.message_receive(inbox=inbox, contact=contact, body=body).conversation


def busy(agent, inbox, count: int) -> None:
    for _ in range(count):
        services.conversation_assign(conversation=write(inbox), assignee=agent, actor=agent)


def test_a_conversation_that_needs_a_skill_waits_for_an_agent_who_has_it(inbox):
    billing = Skill.objects.create(name="billing")
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    AgentProfile.objects.get(user=ben).skills.add(billing)
    busy(ben, inbox, 3)  # Ben is the busier one: least loaded alone would pick Ana
    for agent in (ana, ben):
        agent_set_accepting(agent=agent, accepting=False)
    refund = write(inbox, "Refund please")
    services.conversation_set_skill(conversation=refund, skill_id=billing.pk, actor=None)

    agent_set_accepting(agent=ana, accepting=True)
    assert assignee_of(refund) is None  # Ana has room but not the skill: it waits
    agent_set_accepting(agent=ben, accepting=True)
    assert assignee_of(refund) == "Ben"  # the moment someone with the skill can take it

    agent_set_accepting(agent=ben, accepting=False)
    invoice = write(inbox, "Invoice")
    assert assignee_of(invoice) == "Ana"
    services.conversation_assign(conversation=invoice, assignee=None, actor=None)
    services.conversation_set_skill(conversation=invoice, skill_id=billing.pk, actor=None)
    services.conversation_assign(conversation=invoice, assignee=None, actor=None)
    assert assignee_of(invoice) is None  # unassigned, and nobody available has the skill
    services.conversation_set_skill(conversation=invoice, skill_id=None, actor=None)
    assert assignee_of(invoice) == "Ana"  # any skill: routed again at once


def test_customers_go_to_agents_who_speak_their_language_when_the_inbox_matches_languages(inbox):
    inbox.match_language = True
    inbox.save()
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    with_profile(ana, languages="en")
    with_profile(ben, languages="en, fr")
    busy(ben, inbox, 3)

    assert assignee_of(write_in(inbox, "fr")) == "Ben"  # the French speaker, though busier
    assert assignee_of(write_in(inbox, "en")) == "Ana"  # both speak it: the least loaded
    assert assignee_of(write_in(inbox, "de")) == "Ana"  # nobody speaks it: anyone, by load

    with_profile(ben, availability="offline")
    waiting = write_in(inbox, "fr")
    assert assignee_of(waiting) is None  # a member speaks French: it waits for them


def test_language_is_ignored_where_the_inbox_does_not_match_languages(inbox):
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    with_profile(ana, languages="en")
    with_profile(ben, languages="fr")
    busy(ben, inbox, 2)
    assert assignee_of(write_in(inbox, "fr")) == "Ana"


def test_the_fairness_cap_spreads_work_within_its_window_and_never_leaves_a_customer_waiting(inbox, clock):
    ana, ben = online_agent(inbox, "Ana"), online_agent(inbox, "Ben")
    busy(ben, inbox, 6)  # least loaded alone would give Ana the next six
    inbox.fairness_cap = 2
    inbox.save()
    clock.advance(hours=2)  # what routing gave while Ben was made busy is out of the window

    routed = [assignee_of(write(inbox)) for _ in range(5)]
    # Ana to her cap, then Ben (under it) to his; then both are past it and load decides again.
    assert routed == ["Ana", "Ana", "Ben", "Ben", "Ana"]
    in_window = RoutingDecision.objects.filter(inbox=inbox, routed_at__gt=clock.now() - inbox.fairness_window)
    assert in_window.filter(agent=ana).count() == 3 and in_window.filter(agent=ben).count() == 2

    clock.advance(hours=1, seconds=1)  # the window moved on: nobody has had any in it
    assert [assignee_of(write(inbox)) for _ in range(3)] == ["Ana", "Ana", "Ben"]


def test_round_robin_takes_turns_among_agents_with_room(inbox, clock):
    inbox.routing = "round_robin"
    inbox.save()
    online_agent(inbox, "Ana"), online_agent(inbox, "Ben"), online_agent(inbox, "Cy")
    routed = []
    for _ in range(6):
        routed.append(assignee_of(write(inbox)))
        clock.advance(seconds=1)  # distinct routing times, as in real life
    assert routed == ["Ana", "Ben", "Cy", "Ana", "Ben", "Cy"]
