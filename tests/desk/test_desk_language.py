"""The desk in the agent's language (issue 21, point 9: "the widget speaks English and French, the
desk only English"): the one they chose, else their browser's if the desk has it, else English;
chosen from the desk, kept across sign-ins, and only for the desk (the admin keeps its own)."""

import pytest
from django.urls import reverse

from agents.models import AgentProfile

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests/factories/agents.py


def sign_in(client, agent, **headers):
    response = client.post(
        reverse("desk:login"), {"username": agent.username, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 302, response.content[:300]


def desk_page(client, **headers) -> str:
    response = client.get(reverse("desk:desk"), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "html_lang", "words"),
    [
        ("fr", "fr", ["Se déconnecter", "Non assignées", "Rechercher contacts et messages"]),
        ("es", "es", ["Cerrar sesión", "Sin asignar", "Buscar contactos y mensajes"]),
        ("pt", "pt", ["Terminar sessão", "Não atribuídas", "Pesquisar contactos e mensagens"]),
    ],
)
def test_an_agent_who_chose_a_language_gets_the_desk_in_it_from_sign_in(
    client, agent, language, html_lang, words
):
    AgentProfile.objects.filter(user=agent).update(desk_language=language)
    sign_in(client, agent, accept_language="en-US")
    page = desk_page(client, accept_language="en-US")  # their choice beats the browser's
    assert f'<html lang="{html_lang}">' in page
    for word in words:
        assert word in page
    assert "Sign out" not in page


def test_without_a_choice_the_browser_language_is_used_when_the_desk_has_it(client, agent):
    sign_in(client, agent)
    assert "Cerrar sesión" in desk_page(client, accept_language="es-MX,es;q=0.9,en;q=0.5")
    assert "Terminar sessão" in desk_page(client, accept_language="pt-BR")
    assert "Sign out" in desk_page(client, accept_language="de-DE,de;q=0.9")  # not shipped: English
    assert "Sign out" in desk_page(client)


def test_the_login_page_speaks_the_browser_language(client, db):
    response = client.get(reverse("desk:login"), headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert "Connectez-vous à votre boîte." in response.content.decode()


def test_choosing_a_language_in_the_desk_keeps_it_and_reloads(client, agent):
    sign_in(client, agent)
    response = client.post(reverse("desk:language"), {"language": "fr"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert AgentProfile.objects.get(user=agent).desk_language == "fr"
    assert "Se déconnecter" in desk_page(client)

    client.post(reverse("desk:language"), {"language": ""})  # back to the browser's
    assert AgentProfile.objects.get(user=agent).desk_language == ""
    assert "Cerrar sesión" in desk_page(client, accept_language="es")


def test_a_language_the_desk_does_not_have_is_refused_and_nothing_changes(client, agent):
    AgentProfile.objects.filter(user=agent).update(desk_language="pt")
    sign_in(client, agent)
    response = client.post(reverse("desk:language"), {"language": "xx"})
    assert response.status_code == 422
    assert "não fala 'xx'" in response.content.decode()  # said in the desk's language, Portuguese here
    assert AgentProfile.objects.get(user=agent).desk_language == "pt"


def test_the_scripts_catalogue_follows_the_desk_language(client, agent):
    AgentProfile.objects.filter(user=agent).update(desk_language="fr")
    sign_in(client, agent)
    catalogue = client.get(reverse("desk:jsi18n")).content.decode()
    assert (
        '"Reconnecting\\u2026": "Reconnexion\\u2026"' in catalogue
        or '"Reconnecting…": "Reconnexion…"' in catalogue
    )


def test_the_admin_keeps_its_own_language(admin_client, admin_user):
    AgentProfile.objects.update_or_create(user=admin_user, defaults={"desk_language": "fr"})
    admin_client.post(reverse("desk:language"), {"language": "fr"})
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Log out" in page
