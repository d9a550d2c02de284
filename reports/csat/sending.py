"""Ask a queued survey's question, after the resolve committed (the send job), through the core's
services, so it is stored, numbered and delivered like every message.

A survey goes out only while its resolve stands (a customer who wrote meanwhile reopened the
conversation: asking then is pointless) and only as the channel allows an automatic message:
where the customer's window has closed (WhatsApp, Messenger, Instagram after 24 hours), WhatsApp
takes the inbox's approved template, and otherwise nothing is sent and the survey keeps the reason.
Sending is idempotent (the question's client id is the survey's), so a job run twice asks once.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conversations import services
from conversations.capabilities import capabilities_of, send_refusal
from conversations.models import Conversation, MessageTemplate
from reports.models import CsatSettings, CsatSurvey, Fact

from . import asking

State = CsatSurvey.State
REOPENED = "The conversation was reopened (or resolved again) before the survey went out."
TURNED_OFF = "Surveys were turned off for this inbox before this one went out."
NO_TEMPLATE = "No approved template is set for surveys on this inbox, so none was sent."


def surveys_send(*, conversation_id: int) -> int:
    """Send the conversation's queued surveys (normally one: its latest resolve's); how many went."""
    queued = CsatSurvey.objects.filter(conversation_id=conversation_id, state=State.QUEUED).order_by(
        "resolved_at"
    )
    return sum(survey_send(survey_id=survey_id) for survey_id in queued.values_list("pk", flat=True))


def survey_send(*, survey_id: int) -> bool:
    """Ask the survey's question, or record why it cannot be asked; True when it was sent now."""
    survey = CsatSurvey.objects.select_related("conversation__inbox").get(pk=survey_id)
    if survey.state != State.QUEUED:
        return False
    conversation = survey.conversation
    settings = (
        CsatSettings.objects.filter(inbox_id=survey.inbox_id, enabled=True)
        .select_related("whatsapp_template")
        .first()
    )
    if settings is None:
        return _skip(survey_id, TURNED_OFF)
    if not _stands(conversation, survey):
        return _skip(survey_id, REOPENED)
    question = asking.question(settings, conversation.inbox.channel_type)
    refusal = send_refusal(conversation, body=question.body, by_person=False)
    if refusal is not None:
        template = _usable_template(settings, conversation)
        if template is None:
            return _skip(survey_id, f"{refusal} {NO_TEMPLATE}" if _takes_templates(conversation) else refusal)
        question = asking.template_question(template)
    try:
        with transaction.atomic():
            message = services.message_post_automatic(
                conversation_id=conversation.pk,
                body=question.body,
                actions=question.actions,
                template=question.template,
                client_message_id=f"csat-{survey.pk}",
                while_resolved_at=survey.resolved_at,
            )
            if message is None:
                return _skip(survey_id, REOPENED)
            # After the conversation's lock (taken above): the lock order answers.py keeps too.
            locked = CsatSurvey.objects.select_for_update().get(pk=survey_id)
            if locked.state != State.QUEUED:
                return False
            now = timezone.now()
            locked.state, locked.message, locked.sent_at = State.SENT, message, now
            locked.offered = question.offered  # what counts as each rating when tapped
            locked.save(update_fields=["state", "message", "sent_at", "offered"])
            locked.fact(Fact.Kind.CSAT_SENT, now).save()
            return True
    except ValidationError as refused:  # the channel refused it after all (the core checks again)
        return _skip(survey_id, " ".join(refused.messages))


def _stands(conversation: Conversation, survey: CsatSurvey) -> bool:
    return (
        conversation.status == Conversation.Status.RESOLVED and conversation.resolved_at == survey.resolved_at
    )


def _takes_templates(conversation: Conversation) -> bool:
    return capabilities_of(conversation.inbox.channel_type).templates


def _usable_template(settings: CsatSettings, conversation: Conversation) -> MessageTemplate | None:
    template = settings.whatsapp_template
    if template is None or not _takes_templates(conversation) or template.inbox_id != conversation.inbox_id:
        return None
    return template if template.is_approved and not template.parameter_count else None


def _skip(survey_id: int, reason: str) -> bool:
    with transaction.atomic():
        locked = CsatSurvey.objects.select_for_update().get(pk=survey_id)
        if locked.state == State.QUEUED:
            locked.state, locked.skip_reason = State.SKIPPED, reason[:500]
            locked.save(update_fields=["state", "skip_reason"])
    return False
