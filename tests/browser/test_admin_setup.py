"""An administrator sets Parley up from a blank database to the first reply, in the browser only
(issue 21's acceptance: "the admin setup of a new SMS inbox from a blank database to the first
reply (through the fake provider)"): the admin home's checklist, an agent added as a user, an SMS
inbox with its Twilio credentials in fields of their own and its member chosen on its page, the
webhook URL it says to paste; then the simulator's phone writes to it as Twilio would (signed
webhooks to the live Daphne), the agent answers from the desk, and a real Celery worker sends the
reply to the fake Twilio. Screenshots: test-artifacts/admin-setup-*.png.
"""

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from conversations.models import Conversation, Inbox, Message
from simulator import runtime as simulator_runtime
from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from simulator.runtime import Simulator
from tests.browser import test_desk as desk_journeys
from tests.browser.test_answer_bot import Phone
from tests.browser.test_desk import PASSWORD
from tests.browser.test_widget import wait_until
from tests.realtime.harness import ROOT, DaphneServer, live_daphne

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk

CUSTOMER_PHONE = "+14155550177"
NUMBER = "+14155550100"


@pytest.fixture(scope="module")
def parley(browser_prerequisites, django_db_setup, django_db_blocker) -> Iterator[DaphneServer]:
    """A Daphne of this module's own. Each admin save writes its log entry with the content type
    ids the server process cached, and the session's server cached them before other modules'
    flushes made the content types again under new ids (a foreign-key error, then a 500)."""
    with live_daphne(ROOT / "test-artifacts" / "daphne-admin-setup.log", django_db_blocker) as server:
        yield server


@pytest.fixture(scope="module")
def simulator(parley) -> Iterator[Simulator]:
    running = simulator_runtime.start(parley_url=parley.http, smtp_port=0)
    yield running
    simulator_runtime.stop()


@pytest.fixture(scope="module")
def celery_worker_env(simulator) -> dict[str, str]:
    return {"TWILIO_API_URL": simulator.provider.url}


def sign_in_to_admin(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()


def add_agent(page: Page) -> None:
    page.get_by_role("link", name="Give it an agent").click()
    page.get_by_label("Username").fill("maria")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("Email address").fill("maria@acme.example")
    page.get_by_label("First name").fill("Maria")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")


def add_sms_inbox(page: Page, artifacts) -> None:
    page.get_by_role("link", name="Create an inbox").click()
    page.get_by_label("Name").fill("Acme SMS")
    page.get_by_label("Channel type").select_option(label="SMS (Twilio)")
    # Saved with its type, the inbox shows that channel's settings as fields of their own, and
    # names the ones it still needs: nothing is stored until they are there.
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".errorlist")).to_contain_text("account_sid")
    assert not Inbox.objects.exists()
    page.get_by_label("Account SID").fill(TWILIO_ACCOUNT_SID)
    page.get_by_label("Auth token").fill(TWILIO_AUTH_TOKEN)
    page.locator("#id_setting_phone_number").fill(NUMBER)
    choose_member(page, "maria")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    page.screenshot(path=str(artifacts / "admin-setup-sms-inbox.png"), full_page=True)


def choose_member(page: Page, username: str) -> None:
    """The membership inline's agent is an autocomplete (select2): open it, type, pick."""
    page.get_by_text("Add another Inbox membership").click()
    row = page.locator("tr.form-row.dynamic-memberships, tr.dynamic-memberships").last
    row.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(username)
    page.locator(".select2-results__option", has_text=username).click()


def test_an_administrator_sets_up_an_sms_inbox_from_a_blank_database_to_the_first_reply(
    new_context, parley, live_server, simulator, celery_worker, artifacts, open_desk
):
    assert not Inbox.objects.exists()
    get_user_model().objects.create_superuser("owner", "owner@acme.example", PASSWORD)
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_to_admin(page, parley.http)
    expect(page.locator("#getting-started li[data-done=false]")).to_have_count(3)
    page.screenshot(path=str(artifacts / "admin-setup-checklist.png"), full_page=True)

    add_agent(page)
    page.goto(f"{parley.http}/admin/")
    add_sms_inbox(page, artifacts)
    inbox = Inbox.objects.get(name="Acme SMS")
    assert inbox.config == {
        "account_sid": TWILIO_ACCOUNT_SID,
        "auth_token": TWILIO_AUTH_TOKEN,
        "phone_number": NUMBER,
    }
    webhook = f"/hooks/twilio/{inbox.public_key}/"
    expect(page.locator(".field-connect")).to_contain_text(webhook)

    phone_page = new_context(viewport={"width": 1100, "height": 900}).new_page()
    phone_page.goto(f"{live_server.url}/simulator/")
    expect(phone_page.locator(".channel input[type=radio]:checked")).to_have_count(1)  # the only inbox
    phone_page.locator("#customer").fill(CUSTOMER_PHONE)
    phone_page.locator("#customer").dispatch_event("change")
    phone = Phone(phone_page)
    phone.send("Hi, are you open on Sunday?")

    customer_wrote = Message.objects.filter(sender_kind=Message.SenderKind.CONTACT, conversation__inbox=inbox)
    wait_until(customer_wrote.exists, page=phone_page)  # the receipt stored is applied by a worker
    page.goto(f"{parley.http}/admin/")
    expect(page.get_by_role("heading", name="Getting started")).to_have_count(0)  # all three done

    maria = get_user_model().objects.get(username="maria")
    desk = open_desk(maria)
    desk.page.locator("#list .row", has_text="Hi, are you open on Sunday?").click()
    expect(desk.page.locator("#messages")).to_contain_text("Hi, are you open on Sunday?")
    desk.page.get_by_label("Reply").fill("Yes, from 10 to 4. See you then!")
    desk.page.get_by_role("button", name="Send", exact=True).click()
    expect(phone.replies.filter(has_text="Yes, from 10 to 4")).to_have_count(1)
    desk.page.screenshot(path=str(artifacts / "admin-setup-first-reply-desk.png"))
    phone_page.screenshot(path=str(artifacts / "admin-setup-first-reply-phone.png"))

    [sent] = simulator.provider.sends("twilio")
    assert (sent["to"], sent["from"], sent["account"]) == (CUSTOMER_PHONE, NUMBER, TWILIO_ACCOUNT_SID)
    conversation = Conversation.objects.get(inbox=inbox)
    reply = Message.objects.get(conversation=conversation, sender_kind=Message.SenderKind.AGENT)
    delivered = Message.DeliveryStatus.DELIVERED  # Twilio's signed status callback came back
    wait_until(lambda: Message.objects.get(pk=reply.pk).delivery_status == delivered, page=phone_page)
