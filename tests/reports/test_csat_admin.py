"""Each inbox's survey settings are edited on the inbox's own admin page (an inline the reports app
adds, the core importing nothing of it), and only a template WhatsApp will send past its window can
be picked."""

from django.urls import reverse
from django.utils import timezone

from conversations.models import MessageTemplate
from reports.models import CsatSettings
from tests.admin.formdata import form_data
from tests.factories.conversations import InboxFactory

PREFIX = "csat_settings-0-"
# What a WhatsApp inbox needs for the admin to save it (channels_in/settings_checks.py).
WHATSAPP = {"phone_number_id": "1065", "access_token": "EAAG", "app_secret": "s", "verify_token": "v"}


def template(inbox, name: str, body: str, status: str = "APPROVED") -> MessageTemplate:
    return MessageTemplate.objects.create(
        inbox=inbox, name=name, language="en_US", status=status, body=body, synced_at=timezone.now()
    )


def test_the_survey_is_turned_on_and_worded_on_the_inbox_page(admin_client):
    inbox = InboxFactory(channel_type="whatsapp", config=WHATSAPP)
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    data = form_data(admin_client.get(url))
    data.update({f"{PREFIX}enabled": "on", f"{PREFIX}question": "Did we help? Rate us 1-5."})

    saved = admin_client.post(url, data)

    assert saved.status_code == 302, saved.context["inline_admin_formsets"][-1].formset.errors
    settings = CsatSettings.objects.get(inbox=inbox)
    assert (settings.enabled, settings.question, settings.ask_comment) == (
        True,
        "Did we help? Rate us 1-5.",
        True,
    )


def test_only_the_inboxs_approved_templates_without_parameters_can_ask_past_the_window(admin_client):
    inbox = InboxFactory(channel_type="whatsapp", config=WHATSAPP)
    asking = template(inbox, "csat_survey", "How did we do?")
    with_name = template(inbox, "csat_named", "Hi {{1}}, how did we do?")
    template(inbox, "csat_draft", "How did we do?", status="PENDING")
    template(InboxFactory(channel_type="whatsapp", config=WHATSAPP), "elsewhere", "How did we do?")
    url = reverse("admin:conversations_inbox_change", args=[inbox.pk])
    page = admin_client.get(url)
    formset = page.context["inline_admin_formsets"][-1].formset
    offered = set(formset.forms[0].fields["whatsapp_template"].queryset)
    assert offered == {asking, with_name}

    data = form_data(page)
    data.update({f"{PREFIX}enabled": "on", f"{PREFIX}whatsapp_template": str(with_name.pk)})
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert not CsatSettings.objects.exists()

    data[f"{PREFIX}whatsapp_template"] = str(asking.pk)
    assert admin_client.post(url, data).status_code == 302
    assert CsatSettings.objects.get(inbox=inbox).whatsapp_template == asking
