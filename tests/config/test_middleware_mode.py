"""Under Daphne the middleware stack and the view run in one mode: synchronous, entered once from
the event loop (config/handler.py). Django's own handler switched between the loop and a thread
around every middleware of a request (about 14 switches, ~3 ms of CPU a request)."""

from asgiref.sync import AsyncToSync, SyncToAsync, iscoroutinefunction
from django.core.handlers.asgi import ASGIHandler

from config.handler import SynchronousStackHandler


def test_djangos_own_handler_switches_inside_the_stack():
    """The check below can fail: Django's handler, with our middleware, does switch."""
    assert _switches_inside(ASGIHandler()._middleware_chain)


def test_the_stack_is_entered_once_and_runs_synchronously():
    chain = SynchronousStackHandler()._middleware_chain

    assert isinstance(chain, SyncToAsync)  # the one switch, at the top
    assert not _switches_inside(chain.func)


def _switches_inside(handler, depth: int = 0) -> bool:
    """Whether anything in the chain is a coroutine function or a switch between the modes."""
    if depth > 40:
        return False
    if isinstance(handler, (SyncToAsync, AsyncToSync)) or iscoroutinefunction(handler):
        return True
    inner = getattr(handler, "get_response", None) or getattr(handler, "__wrapped__", None)
    return inner is not None and _switches_inside(inner, depth + 1)
