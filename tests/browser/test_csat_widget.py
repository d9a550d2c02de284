"""A customer rates a resolved conversation in the widget and the supervisor sees it in the CSAT
report and its CSV (issue 18's acceptance journey): a live Daphne, a real Celery worker that sends
the survey once the resolve has committed (tests/browser/conftest.py, celery_worker), Chromium for
the visitor on a business's site and for the supervisor's desk. The survey arrives over the
widget's socket as any message does; the rating and the comment go back as the visitor's
messages. Nothing of ours is mocked. Screenshots: test-artifacts/csat-widget-rated.png and
csat-report.png.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.services import agent_create, conversation_assign_to_agent
from conversations import services
from conversations.models import Conversation, Message
from reports import rollups
from reports.models import CsatSettings, CsatSurvey
from tests.browser import test_widget as widget_journeys
from tests.browser.test_widget import wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit  # the visitor: the host page with the widget

PASSWORD = "tent-stove-lantern-42"
PROBLEM = "My tent pole arrived bent"
COMMENT = "Fast and friendly, thank you!"


def test_a_customer_rates_a_resolved_conversation_in_the_widget(
    visit, inbox, agent, celery_worker, artifacts, new_context, parley
):
    asks = CsatSettings.objects.create(inbox=inbox, enabled=True)
    widget = visit()
    widget.open()
    widget.start_conversation()
    widget.send(PROBLEM)
    widget.expect_sent(PROBLEM)
    conversation = Message.objects.get(body=PROBLEM).conversation
    conversation_assign_to_agent(conversation=conversation, assignee=agent, actor=agent)
    services.message_post_reply(
        conversation=conversation, agent=agent, body="Sorry! A new pole is on its way."
    )
    expect(widget.message("Sorry! A new pole is on its way.", "theirs")).to_have_count(1)

    services.conversation_resolve(conversation=conversation, actor=agent)  # the worker asks after commit

    question = widget.ui.locator("#messages .message.theirs", has_text=asks.question)
    expect(question).to_have_count(1)
    expect(question.locator(".sender")).to_have_text(inbox.name)  # Parley's own words, the inbox's name
    ratings = question.get_by_role("group", name="Rate this conversation")
    expect(ratings.get_by_role("button")).to_have_count(5)
    expect(widget.ui.get_by_text("This conversation is resolved.")).to_be_visible()

    ratings.get_by_role("button", name="5 out of 5").click()
    widget.expect_sent("5 ★★★★★")  # the pick is the visitor's message, the button's title its text
    comment = widget.ui.locator("#survey-comment")
    expect(comment).to_be_visible()  # the server invited a comment
    expect(comment.get_by_role("button", name=asks.no_comment_title)).to_be_visible()
    expect(ratings.get_by_role("button", name="5 out of 5")).to_have_attribute("aria-pressed", "true")
    expect(ratings.get_by_role("button", name="5 out of 5")).to_be_disabled()

    comment.get_by_label("Your comment (optional)").fill(COMMENT)
    comment.get_by_role("button", name="Send").click()
    widget.expect_sent(COMMENT)
    expect(widget.ui.locator("#messages .day", has_text="Thank you for your feedback!")).to_have_count(1)
    expect(comment).to_be_hidden()
    widget.iframe.screenshot(path=str(artifacts / "csat-widget-rated.png"))

    def commented() -> bool:
        return CsatSurvey.objects.filter(conversation=conversation, comment=COMMENT).exists()

    wait_until(commented, page=widget.page)
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert (survey.state, survey.rating, survey.comment, survey.agent_id) == (
        "answered",
        5,
        COMMENT,
        agent.pk,
    )
    conversation = Conversation.objects.get(pk=conversation.pk)
    assert conversation.status == Conversation.Status.RESOLVED and conversation.reopen_count == 0
    note = Message.objects.filter(
        conversation=conversation, is_private=True, body__startswith="Customer rated"
    )
    assert list(note.values_list("body", flat=True)) == [
        "Customer rated 5/5 in the satisfaction survey.",
        f"Customer rated 5/5: {COMMENT}",
    ]

    # The supervisor's half: the rating is in the CSAT report (once the rollups took the day in,
    # as beat does every five minutes) and in its CSV, with the same numbers.
    rollups.catch_up()
    supervisor = agent_create(
        username="sam", email="sam@acme.example", password=PASSWORD, display_name="Sam", role="supervisor"
    )
    page = new_context().new_page()
    page.goto(f"{parley.http}/desk/login/")
    page.get_by_label("Username").fill(supervisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{parley.http}/desk/reports/csat/")
    row = page.locator(f'table[data-table="csat-agents"] tr[data-key="{agent.pk}"]')
    expect(row.locator("th")).to_have_text("Ana")
    cells = row.locator("td")
    # Surveys sent, ratings, response rate, CSAT, then the count of each rating 1 to 5.
    expect(cells).to_have_text(["1", "1", "100.0%", "100.0%", "0", "0", "0", "0", "1"])
    page.screenshot(path=str(artifacts / "csat-report.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#table-csat-agents").get_by_role("link", name="Export CSV").click()
    exported = Path(download.value.path()).read_text().splitlines()
    assert exported[0].startswith("key,name,Surveys sent,Ratings,Response rate (ratio),CSAT (ratio)")
    assert exported[1] == f"{agent.pk},Ana,1,1,1,1,0,0,0,0,1"
