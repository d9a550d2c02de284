"""What the host page says about its visitor (`Parley.setAttributes`) reaches their contact, and a
visitor of a messaging inbox may leave a phone number instead of an email to be told of replies.
Fixtures: tests/browser/conftest.py; the widget helpers: tests/browser/test_widget.py."""

import pytest
from playwright.sync_api import expect

from conversations.models import Contact, Conversation
from tests.browser.test_widget import Widget, wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]


def visit(new_context, host_site, inbox) -> Widget:
    page = new_context().new_page()
    page.goto(host_site.url(inbox.public_key))
    return Widget(page)


def test_attributes_given_before_and_after_the_widget_starts_reach_the_contact(new_context, host_site, inbox):
    widget = visit(new_context, host_site, inbox)
    page = widget.page
    page.wait_for_function("() => window.Parley && window.Parley.loaded")
    page.evaluate(
        "() => window.Parley.setAttributes({name: 'Léa', plan: 'pro', seats: 3})"
    )  # the frame is loading
    widget.open()
    page.evaluate("() => window.Parley.setAttributes({seats: null, beta: true, 'Bad Key': 1})")
    page.evaluate("() => window.Parley.setAttributes({phone: '+33 6 12 34 56 78'})")

    def contact() -> Contact | None:
        return Contact.objects.filter(identities__inbox=inbox).first()

    wait_until(lambda: contact() is not None and contact().phone == "+33612345678", page=page)
    assert contact().name == "Léa"
    assert contact().custom_attributes == {"plan": "pro", "seats": 3}  # the bad call changed nothing
    page.evaluate("() => window.Parley.setAttributes({seats: null, beta: true})")
    wait_until(lambda: contact().custom_attributes == {"plan": "pro", "beta": True}, page=page)
    widget.expect_online()  # a page's mistake never cost the visitor their chat


def test_a_visitor_leaves_a_phone_number_to_be_told_of_replies(new_context, host_site, inbox):
    widget = visit(new_context, host_site, inbox)
    widget.open()
    widget.start_conversation()
    widget.send("Is the blue tent back in stock?")
    widget.expect_sent("Is the blue tent back in stock?")
    form = widget.ui.locator("#notify")
    expect(form).to_be_visible()
    field = widget.ui.locator("#notify-email")
    field.fill("06 12 34 56 78")
    widget.ui.locator("#notify-save").click()
    expect(widget.ui.locator("#notify-error")).to_contain_text("country code")
    field.fill("+33 6 12 34 56 78")
    widget.ui.locator("#notify-save").click()
    expect(form).to_be_hidden()
    assert Conversation.objects.get(inbox=inbox).contact.phone == "+33612345678"
