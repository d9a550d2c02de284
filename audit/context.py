"""The request being served, for what is recorded from deep inside a change (an assignment heard
as an event) rather than at the door: who acted through it and from where.

`AuditRequestMiddleware` only sets a context variable: no query and no work per request beyond
that. Outside a request (a Celery task, a management command, a socket) there is none, and an
entry is written without IP or request id.
"""

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from rest_framework.authtoken.models import Token

from .actors import Actor

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)
acting: ContextVar[Actor | None] = ContextVar("audit_acting", default=None)

# A request id from the proxy or the app that set one; anything else is not kept.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class AuditRequestMiddleware:
    """Both sync and async, so it adds no thread hop to the chain: a sync-only middleware makes
    Django run every middleware above it in a thread of the request's own, which starved the
    websocket handshakes of a reconnect storm (python -m bench realtime: 0 of 1,000 resynced)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if iscoroutinefunction(self):
            return self._async_call(request)
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)

    async def _async_call(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return await self.get_response(request)
        finally:
            current_request.reset(token)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """What Parley changes inside this block without a person (a service called with actor=None)
    is recorded as `actor`'s: an automation rule wraps its actions in it,
    `with acting_as(Actor.automation_rule(rule.pk, rule.name)): ...`."""
    token = acting.set(actor)
    try:
        yield
    finally:
        acting.reset(token)


def actor_without_person() -> Actor:
    """Who made a change no person made: the rule (or other) acting now, else Parley itself."""
    return acting.get() or Actor.system()


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    request_id: str = ""


NOWHERE = Origin()


def origin_of(request: HttpRequest | None) -> Origin:
    """Where a request came from: the peer's address (a proxy in front must pass the client's on
    as the peer, e.g. Daphne's --proxy-headers) and its request id, if any."""
    if request is None:
        return NOWHERE
    given = getattr(request, "request_id", None) or request.headers.get("X-Request-ID", "")
    return Origin(
        ip=request.META.get("REMOTE_ADDR") or None,
        request_id=given if REQUEST_ID.fullmatch(given or "") else "",
    )


def through_api_key(request: HttpRequest | None) -> bool:
    """Whether the REST API authenticated this request by its API key (DRF puts the token on the
    request it wraps)."""
    return isinstance(getattr(request, "auth", None), Token)


def actor_of_request(request: HttpRequest) -> Actor:
    """Who is acting through this (signed-in) request: their API key, or themselves."""
    return Actor.api_key(request.user) if through_api_key(request) else Actor.for_user(request.user)


def actor_in_request(user: AbstractBaseUser) -> tuple[Actor, Origin]:
    """`user` as the actor of the change being made now: through their API key if the current
    request came with it, else as themselves; and the request's origin if they are the one
    making it (a change Parley makes inside someone's request is not theirs)."""
    request = current_request.get()
    if request is None or getattr(request, "user", None) is None or request.user.pk != user.pk:
        return Actor.for_user(user), NOWHERE
    return actor_of_request(request), origin_of(request)
