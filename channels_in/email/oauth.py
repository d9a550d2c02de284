"""OAuth 2.0 sign-in (SASL XOAUTH2) for an email inbox's IMAP and SMTP, where the mail provider
takes no password: Microsoft 365 (Basic auth is off in Exchange Online) and Google, which
prefers it. The access token comes from the provider's token endpoint (RFC 6749 section 4.4 or
6; oauthlib writes the requests and reads the answers, httpx carries them), is kept in the
cache until two minutes before it expires, and is fetched again after. A provider that rotates
the refresh token (Microsoft does) has the new one stored in the inbox's config.

Inbox.config: oauth_token_url, oauth_client_id, oauth_client_secret, and either
oauth_refresh_token (the refresh-token grant: Gmail and Workspace, delegated Microsoft 365) or
none and oauth_scope (the client-credentials grant: Microsoft 365 app-only,
"https://outlook.office365.com/.default"). Without oauth_token_url the inbox signs in with its
passwords.

A token endpoint's answer (section 5.1), and its refusal (section 5.2, with a 400):
    {"token_type": "Bearer", "expires_in": 3599, "access_token": "eyJ0eXAiOiJKV1Qi…",
     "refresh_token": "1.AQsA…"}
    {"error": "invalid_grant", "error_description": "AADSTS70008: The provided authorization
     code or refresh token has expired due to inactivity…"}

Neither a secret nor a token is ever logged or put in an error's words.
"""

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error, WebApplicationClient

from conversations.models import Inbox

RENEW_BEFORE_SECONDS = 120  # a token this close to its expiry is not used for a new sign-in
DEFAULT_LIFETIME_SECONDS = 3600  # for a token endpoint that does not say (RFC 6749 lets it omit it)


class OAuthSignInError(Exception):
    """The token endpoint refused to issue a token (the provider's error code and words in the
    message), or could not be reached (`transient`: tried again later)."""

    def __init__(self, message: str, *, code: str, transient: bool) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient


@dataclass(frozen=True)
class TokenSettings:
    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    scope: str

    @classmethod
    def of(cls, inbox: Inbox) -> "TokenSettings | None":
        """The inbox's OAuth settings, or None if it signs in with passwords."""
        config = inbox.config if isinstance(inbox.config, dict) else {}
        if not config.get("oauth_token_url"):
            return None
        return cls(
            *(
                str(config.get(key) or "")
                for key in (
                    "oauth_token_url",
                    "oauth_client_id",
                    "oauth_client_secret",
                    "oauth_refresh_token",
                    "oauth_scope",
                )
            )
        )


def oauth_signs_in(inbox: Inbox) -> bool:
    return TokenSettings.of(inbox) is not None


def xoauth2_responder(username: str, access_token: str) -> Callable[..., str]:
    """The client's side of SASL XOAUTH2 (Google's and Microsoft's format) for imapclient's
    sasl_login and smtplib's auth: the message ("user=…^Aauth=Bearer …^A^A") at the first,
    empty challenge; to a challenge with content, the server's error report (RFC 7628 3.2.2),
    an empty answer, which ends the exchange so the server's refusal follows."""

    def respond(challenge: bytes | None = None) -> str:
        return "" if challenge else f"user={username}\x01auth=Bearer {access_token}\x01\x01"

    return respond


def access_token_for(inbox: Inbox, *, renew: bool = False) -> str:
    """A current access token for the inbox's mailbox: the cached one while it has more than
    RENEW_BEFORE_SECONDS to live, else (or with `renew`: the mail server refused the cached one,
    revoked before its time) a new one from the token endpoint. Raises OAuthSignInError."""
    token_settings = TokenSettings.of(inbox)
    if token_settings is None:
        raise OAuthSignInError(
            f"The inbox “{inbox.name}” has no oauth_token_url configured.",
            code="not_configured",
            transient=False,
        )
    key = _cache_key(inbox, token_settings)
    cached = cache.get(key)
    if (
        not renew
        and isinstance(cached, dict)
        and cached.get("expires_at", 0) - RENEW_BEFORE_SECONDS > time.time()
    ):
        return str(cached["access_token"])
    answer = _token_request(token_settings)
    lifetime = _lifetime(answer)
    cache.set(key, {"access_token": answer["access_token"], "expires_at": time.time() + lifetime}, lifetime)
    rotated = str(answer.get("refresh_token") or "")
    if token_settings.refresh_token and rotated and rotated != token_settings.refresh_token:
        inbox_refresh_token_store(inbox=inbox, before=token_settings.refresh_token, after=rotated)
    return str(answer["access_token"])


def inbox_refresh_token_store(*, inbox: Inbox, before: str, after: str) -> None:
    """Store the refresh token the provider rotated to, in place of `before`. The row is locked
    and only this key changes, so an admin's edit to the rest of the config is not lost; a
    refresh token an admin pasted in the meantime is kept. Updates `inbox` too."""
    with transaction.atomic():
        locked = Inbox.objects.select_for_update().filter(pk=inbox.pk).first()
        if locked is None:
            return
        config = dict(locked.config) if isinstance(locked.config, dict) else {}
        if config.get("oauth_refresh_token") == before:
            config["oauth_refresh_token"] = after
            locked.config = config
            locked.save(update_fields=["config"])
    inbox.config = {**(inbox.config if isinstance(inbox.config, dict) else {}), "oauth_refresh_token": after}


def _token_request(token_settings: TokenSettings) -> dict:
    if token_settings.refresh_token:
        client = WebApplicationClient(token_settings.client_id)
        body = client.prepare_refresh_body(
            refresh_token=token_settings.refresh_token,
            scope=token_settings.scope or None,
            client_id=token_settings.client_id,
            client_secret=token_settings.client_secret,
        )
    else:
        client = BackendApplicationClient(token_settings.client_id)
        body = client.prepare_request_body(
            scope=token_settings.scope or None,
            include_client_id=True,
            client_secret=token_settings.client_secret,
        )
    where = httpx.URL(token_settings.token_url).host
    try:
        response = httpx.post(
            token_settings.token_url,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            timeout=settings.PARLEY_PROVIDER_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        raise OAuthSignInError(
            f"The token endpoint at {where} could not be reached ({type(error).__name__}).",
            code="oauth_connection",
            transient=True,
        ) from error
    if response.status_code >= 500:
        raise OAuthSignInError(
            f"The token endpoint at {where} answered {response.status_code}.",
            code=f"oauth_{response.status_code}",
            transient=True,
        )
    try:
        answer = client.parse_request_body_response(response.text)
    except OAuth2Error as error:
        words = f": {error.description}" if error.description else ""
        raise OAuthSignInError(
            f"The token endpoint at {where} refused the sign-in: {error.error}{words}",
            code=f"oauth_{error.error}",
            transient=error.error == "temporarily_unavailable",
        ) from error
    except (ValueError, Warning) as error:  # not JSON, or a scope other than asked: say so, not why
        raise OAuthSignInError(
            f"The token endpoint at {where} answered {response.status_code} with no usable token.",
            code="oauth_bad_answer",
            transient=False,
        ) from error
    return dict(answer)


def _lifetime(answer: dict) -> int:
    try:
        return max(1, int(answer.get("expires_in") or DEFAULT_LIFETIME_SECONDS))
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_SECONDS


def _cache_key(inbox: Inbox, token_settings: TokenSettings) -> str:
    """Per inbox and per the settings that decide whose token it is (not the refresh token,
    which a provider rotates), hashed: the cache's key names no secret."""
    who = json.dumps(
        [
            token_settings.token_url,
            token_settings.client_id,
            token_settings.client_secret,
            token_settings.scope,
        ]
    )
    return f"parley:email-oauth:{inbox.pk}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"
