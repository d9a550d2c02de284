"""Django's ASGI handler, with the middleware stack and the view run synchronously in one call.

Django's own handler loads the stack for async: each async-capable middleware then runs its hooks
through sync_to_async, a sync-only one (ours, WhiteNoise's) through async_to_sync back again, and
the view through sync_to_async once more; about 14 switches between the event loop and the
request's thread, some 3 ms of CPU a request. Every view here is synchronous, so the stack is
loaded for sync and entered once, on the request's own thread (ThreadSensitiveContext, as Django
does, so the response's close and its request_finished run on the thread that holds its
database connection)."""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SynchronousStackHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
