"""Mail out by SMTP (the standard library's client) to the server an email inbox names, with
the server's answers mapped onto the outbox's: a 5xx refusal fails the message with the server's
words, a 4xx or a connection that fails before the mail is handed over is tried again, and a
connection lost after the mail's data was sent is ambiguous (the server may have taken it).

Inbox.config: smtp_host, smtp_port (587), smtp_security ("starttls", "ssl" or "none"),
smtp_username, smtp_password; or, instead of smtp_password, OAuth 2.0 sign-in by SASL XOAUTH2
(oauth.py's settings). A token endpoint that refuses (a revoked refresh token) fails the message
with its words, as a 5xx refusal of the password does; one that cannot be reached is tried again.
"""

import smtplib
import ssl
from email.message import EmailMessage

from django.conf import settings

from conversations.models import Inbox
from conversations.registry import PermanentDeliveryError, TransientDeliveryError

from . import oauth

SECURITY = ("starttls", "ssl", "none")


def smtp_send(inbox: Inbox, mail: EmailMessage, *, recipients: list[str]) -> None:
    config = inbox.config or {}
    host = str(config.get("smtp_host") or "")
    if not host:
        raise PermanentDeliveryError(
            f"The inbox “{inbox.name}” has no smtp_host configured (Admin → Inboxes → Config).",
            code="not_configured",
        )
    security = str(config.get("smtp_security") or "starttls")
    if security not in SECURITY:
        raise PermanentDeliveryError(
            f"smtp_security must be one of {', '.join(SECURITY)}.", code="not_configured"
        )
    port = int(config.get("smtp_port") or (465 if security == "ssl" else 587))
    timeout = settings.PARLEY_PROVIDER_TIMEOUT_SECONDS
    handed_over = False
    try:
        client_class = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
        with client_class(host, port, timeout=timeout) as client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            _sign_in(client, inbox)
            handed_over = True
            refused = client.send_message(mail, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as error:
        raise _refusal(next(iter(error.recipients.values()))) from error
    except smtplib.SMTPResponseException as error:  # a sender, data or authentication refusal
        raise _refusal((error.smtp_code, error.smtp_error)) from error
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise TransientDeliveryError(
            f"The mail server {host}:{port} could not be reached or dropped the connection ({error}).",
            code="smtp_connection",
            ambiguous=handed_over,
        ) from error
    except oauth.OAuthSignInError as error:
        error_class = TransientDeliveryError if error.transient else PermanentDeliveryError
        raise error_class(str(error), code=error.code) from error
    if refused and len(refused) == len(recipients):
        raise _refusal(next(iter(refused.values())))


def _sign_in(client: smtplib.SMTP, inbox: Inbox) -> None:
    """AUTH with the inbox's password, or by XOAUTH2 with an access token where it has OAuth
    settings (a token the server refuses is renewed once); nothing without a username."""
    config = inbox.config or {}
    username = str(config.get("smtp_username") or "")
    if not oauth.oauth_signs_in(inbox):
        if username:
            client.login(username, str(config.get("smtp_password") or ""))
        return
    client.ehlo_or_helo_if_needed()
    try:
        client.auth("XOAUTH2", oauth.xoauth2_responder(username, oauth.access_token_for(inbox)))
    except smtplib.SMTPAuthenticationError:
        client.auth("XOAUTH2", oauth.xoauth2_responder(username, oauth.access_token_for(inbox, renew=True)))


def _refusal(answer: tuple[int, bytes | str]) -> PermanentDeliveryError | TransientDeliveryError:
    code, words = answer
    text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
    reason = f"The mail server answered {code}: {' '.join(text.split())}"
    if 400 <= code < 500:
        return TransientDeliveryError(reason, code=f"smtp_{code}")
    return PermanentDeliveryError(reason, code=f"smtp_{code}")
