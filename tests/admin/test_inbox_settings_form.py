"""An inbox's channel settings in the admin as fields, not JSON (issue 21, point 7): each key the
channel names has a labelled field, secrets masked; what is typed there is saved in the inbox's
config, and the JSON box keeps only the other keys."""

import re

import pytest
from django.urls import reverse

from conversations.models import Inbox
from tests.factories.conversations import InboxFactory

from .formdata import form_data, form_errors, with_settings

pytestmark = pytest.mark.django_db
SMS = {"account_sid": "AC" + "a" * 32, "auth_token": "b" * 32, "phone_number": "+14155550100"}


def test_an_sms_inbox_shows_its_credentials_as_fields_and_saves_what_is_typed(admin_client):
    inbox = InboxFactory(channel_type="sms", config={**SMS, "status_callbacks": True})
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    page = admin_client.get(url).content.decode()

    assert re.search(r'<label for="id_setting_account_sid">Account SID:</label>', page)
    assert re.search(r'<input type="password" name="setting_auth_token" value="b{32}"', page)  # masked
    data = form_data(admin_client.get(url))
    assert data["config"] == '{"status_callbacks": true}'  # only what has no field of its own

    data.update(setting_phone_number="+44 20 7946 0958", setting_auth_token="c" * 32)
    answer = admin_client.post(url, data)

    assert answer.status_code == 302, form_errors(answer)
    inbox.refresh_from_db()
    assert inbox.config == {
        **SMS,
        "auth_token": "c" * 32,
        "phone_number": "+44 20 7946 0958",
        "status_callbacks": True,
    }


def test_a_new_inbox_gets_its_channels_fields_once_its_type_is_chosen(admin_client):
    url = reverse("admin:conversations_inbox_add")
    data = form_data(admin_client.get(url))
    assert not [name for name in data if name.startswith("setting_")]  # no type chosen yet

    data.update(name="Text us", channel_type="sms", config="{}")
    refused = admin_client.post(url, data)
    assert any("account_sid: " in error for error in form_errors(refused))
    assert 'name="setting_account_sid"' in refused.content.decode()  # now there to fill

    data.update({f"setting_{key}": value for key, value in SMS.items()})
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, form_errors(saved)
    assert Inbox.objects.get(name="Text us").config == SMS


def test_a_widgets_colour_and_pre_chat_questions_are_fields_and_a_bad_colour_is_refused(admin_client):
    inbox = InboxFactory(channel_type="web_widget", mode="live", config={})
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    data = form_data(admin_client.get(url))

    refused = admin_client.post(url, with_settings(data, {"color": "green"}))
    assert any("color: 'green' is not a colour as #rrggbb" in error for error in form_errors(refused))

    ticked = {**with_settings(data, {"color": "#117a65"}), "setting_prechat_fields": ["name", "email"]}
    saved = admin_client.post(url, ticked)
    assert saved.status_code == 302, form_errors(saved)
    inbox.refresh_from_db()
    assert inbox.config == {"color": "#117a65", "prechat_fields": ["name", "email"]}
    assert (
        'type="checkbox" name="setting_prechat_fields" value="email"'
        in admin_client.get(url).content.decode()
    )
