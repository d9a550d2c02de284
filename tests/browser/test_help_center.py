"""The public help center (/help/<portal>/<locale>/…) in a real browser, served by the live Daphne:
a visitor searches in their own words, opens the article from the results, reads it (its Markdown
drawn, a script in its body inert) and answers "Was this helpful?". Screenshots of the results
and of the article go to test-artifacts/help-center-*.png.
"""

import re

import pytest
from playwright.sync_api import expect

from knowledge import services as knowledge
from knowledge.models import Article

pytestmark = [pytest.mark.django_db(transaction=True)]
# A person's browser: the help center does not count views by headless browsers and crawlers, and
# Chromium here announces itself as "HeadlessChrome".
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

BODY = """Cards usually arrive **within five working days** of your order.

## Track your card

1. Open the app.
2. Go to *Cards* and pick the new one.

Still nothing after ten days? [Order a replacement](https://bank.example/replace).

<script>window.pwned = true</script>
<img src=x onerror="window.pwned = true">
"""


@pytest.fixture
def article() -> Article:
    portal = knowledge.portal_create(name="Acme Bank", slug="acme-bank", tagline="How can we help?")
    cards = knowledge.category_create(portal=portal, name="Cards", description="Ordering and using cards.")
    found = knowledge.article_create(
        portal=portal,
        category=cards,
        title="Your new card has not arrived",
        description="When a card takes longer than a week, and how to track it.",
        body=BODY,
        author=None,
        status="published",
        questions=["I am still waiting for my card", "My card never came in the post"],
    )
    knowledge.article_create(
        portal=portal,
        category=cards,
        title="Change your PIN",
        body="Pick a new PIN in the app, or at any cash machine.",
        author=None,
        status="published",
        questions=["How do I change my PIN?"],
    )
    return found


def test_a_visitor_searches_in_their_own_words_reads_the_article_and_says_it_helped(
    new_context, parley, article, artifacts
):
    page = new_context(user_agent=DESKTOP_CHROME).new_page()
    page.goto(f"{parley.http}/help/acme-bank/en/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    expect(page.locator(".hc-card", has_text="Cards")).to_contain_text("2 articles")
    page.screenshot(path=str(artifacts / "help-center-home.png"))

    search = page.get_by_role("searchbox", name="Search the help center")
    search.fill("still waiting for my bank card")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/help/acme-bank/en/search\?q=still\+waiting"))
    results = page.locator(".hc-results li")
    expect(results.first.get_by_role("link")).to_have_text("Your new card has not arrived")
    page.screenshot(path=str(artifacts / "help-center-search.png"))

    results.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/help/acme-bank/en/articles/your-new-card-has-not-arrived/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new card has not arrived")
    prose = page.locator(".hc-prose")
    expect(prose.locator("strong")).to_have_text("within five working days")
    expect(prose.get_by_role("heading", name="Track your card")).to_be_visible()
    expect(prose.locator("ol li")).to_have_count(2)
    expect(prose.get_by_role("link", name="Order a replacement")).to_have_attribute(
        "href", "https://bank.example/replace"
    )
    expect(prose).to_contain_text("<script>window.pwned = true</script>")  # shown as text
    expect(prose.locator("script, img")).to_have_count(0)
    page.wait_for_load_state("load")  # an onerror on a broken image would have fired by now
    assert page.evaluate("() => window.pwned") is None
    page.screenshot(path=str(artifacts / "help-center-article.png"), full_page=True)

    feedback = page.locator("#hc_feedback")
    expect(feedback.get_by_role("heading")).to_have_text("Was this article helpful?")
    feedback.get_by_role("button", name="Yes").click()
    expect(feedback.get_by_role("status")).to_have_text("Thanks for letting us know!")
    expect(feedback.get_by_role("button", name="Yes")).to_be_hidden()  # answered, in place
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    assert article.view_count == 1  # the one reading; answering did not count another
