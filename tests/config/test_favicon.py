"""Every page a person opens names Parley's icon, the icon is served, and /favicon.ico (asked for
by browsers where a page names none: JSON answers, error pages) leads to the same file."""

import re

import pytest

from tests.factories.conversations import InboxFactory

ICON = re.compile(r'<link rel="icon" href="([^"]+)"')


def icon_of(response) -> str:
    assert response.status_code == 200, response.status_code
    found = ICON.search(response.content.decode())
    assert found, "the page names no icon"
    return found.group(1)


def assert_is_the_svg_icon(client, href: str) -> None:
    response = client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(response.streaming_content if response.streaming else [response.content])


@pytest.mark.django_db
def test_the_pages_without_a_login_name_the_icon(client):
    inbox = InboxFactory()
    for url in ("/desk/login/", "/admin/login/", f"/widget/frame/?key={inbox.public_key}"):
        assert_is_the_svg_icon(client, icon_of(client.get(url)))


@pytest.mark.django_db
def test_the_desk_the_admin_and_the_api_pages_name_the_icon(client, agent, admin_user):
    client.force_login(agent)
    assert_is_the_svg_icon(client, icon_of(client.get("/desk/")))
    assert_is_the_svg_icon(client, icon_of(client.get("/api/v1/conversations", HTTP_ACCEPT="text/html")))
    client.force_login(admin_user)
    for url in ("/admin/", "/admin/conversations/conversation/", "/admin/conversations/inbox/add/"):
        assert_is_the_svg_icon(client, icon_of(client.get(url)))


@pytest.mark.django_db
def test_the_api_docs_name_the_icon_path_that_redirects_to_it(client, agent):
    client.force_login(agent)
    docs = client.get("/api/docs/").content.decode()
    assert 'href="/favicon.ico"' in docs


def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert_is_the_svg_icon(client, response["Location"])
