"""The inbox admin checks an email inbox's settings where they are saved: a typo shows next to the
field in words, not as a failed poll later, and what was stored stays as it was."""

from django.urls import reverse

from tests.factories.conversations import InboxFactory

from .formdata import form_data, form_errors, with_settings

GOOD = {
    "address": "support@acme.example",
    "imap_host": "imap.acme.example",
    "imap_port": 993,
    "imap_security": "ssl",
    "imap_username": "support@acme.example",
    "imap_password": "app-password",
    "smtp_host": "smtp.acme.example",
    "smtp_port": 587,
    "smtp_security": "starttls",
    "smtp_username": "support@acme.example",
    "smtp_password": "app-password",
}


def post_config(admin_client, inbox, config):
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    data = form_data(admin_client.get(url))
    if isinstance(config, str):  # typed into the JSON box as it is
        return admin_client.post(url, {**data, "config": config})
    return admin_client.post(url, with_settings(data, config))


def test_mistakes_in_an_email_inbox_are_refused_in_words_and_nothing_changes(admin_client):
    inbox = InboxFactory(channel_type="email", config=GOOD)
    mistakes = {
        "no address": ({**GOOD, "address": ""}, "address: the inbox's own email address"),
        "a bad address": ({**GOOD, "address": "support at acme"}, "address: 'support at acme' is not"),
        "a port as words": ({**GOOD, "imap_port": "nine"}, "setting_imap_port: Enter a whole number."),
        "a port out of range": ({**GOOD, "smtp_port": 70000}, "setting_smtp_port: Ensure this value"),
        "a security typo": ({**GOOD, "smtp_security": "tls"}, "setting_smtp_security: Select a valid choice"),
        "no login": ({**GOOD, "imap_username": ""}, "imap_username: who signs in"),
        "no way in": (
            {key: value for key, value in GOOD.items() if not key.startswith("imap_")},
            "a way in: imap_host",
        ),
        "no way out": (
            {key: value for key, value in GOOD.items() if not key.startswith("smtp_")},
            "smtp_host: the mail server replies leave by",
        ),
        "a setting in the JSON box that has its field": (
            '{"imap_host": "imap.elsewhere.example"}',
            "imap_host has a field of its own above",
        ),
        "OAuth without a client": (
            {**GOOD, "imap_password": "", "oauth_token_url": "https://oauth2.googleapis.com/token"},
            "oauth_client_id: the application (client) id",
        ),
        "OAuth with no grant": (
            {**GOOD, "oauth_token_url": "https://login.example/token", "oauth_client_id": "app-1"},
            "oauth_refresh_token (a mailbox's consent",
        ),
    }
    for name, (config, words) in mistakes.items():
        errors = form_errors(post_config(admin_client, inbox, config))
        assert any(words in error for error in errors), (name, errors)
    inbox.refresh_from_db()
    assert inbox.config == GOOD


def test_settings_that_are_no_object_are_refused_for_any_channel(admin_client):
    inbox = InboxFactory(channel_type="sms", config={"account_sid": "AC1"})
    errors = form_errors(post_config(admin_client, inbox, '["account_sid"]'))
    assert any("a JSON object" in error for error in errors), errors


def test_good_email_settings_are_saved_also_forwarding_only(admin_client):
    inbox = InboxFactory(channel_type="email", config=GOOD)
    forwarding = {
        "address": "help@acme.example",
        "mailgun_signing_key": "key-1",
        **{key: value for key, value in GOOD.items() if key.startswith("smtp_")},
    }
    by_oauth = {
        **{key: value for key, value in GOOD.items() if not key.endswith("_password")},
        "oauth_token_url": "https://login.microsoftonline.com/acme/oauth2/v2.0/token",
        "oauth_client_id": "app-1",
        "oauth_client_secret": "secret",
        "oauth_scope": "https://outlook.office365.com/.default",
    }
    typed_port = ({**GOOD, "imap_port": "993"}, GOOD)  # a port typed in its field is kept as a number
    for config, kept in ((GOOD, GOOD), (forwarding, forwarding), typed_port, (by_oauth, by_oauth)):
        answer = post_config(admin_client, inbox, config)
        assert answer.status_code == 302, answer.context["adminform"].form.errors
        inbox.refresh_from_db()
        assert inbox.config == kept
