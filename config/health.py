"""/healthz: is every part this process depends on answering? For load balancers and compose.

Beside the checks, `receipts` counts the webhook receipts still pending and those that failed for
good (Admin → Webhook receipts, filter by state). A metric, never a check: it does not change the
status, and an error reading it is reported in its place.
"""

import asyncio
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from channels_in.receipts import COUNT_LIMIT, receipts_count_unsettled

CHECK_TIMEOUT_SECONDS = 3.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_channel_layer() -> str:
    """A real round trip: send to a fresh channel and receive it back."""
    layer = get_channel_layer()

    async def round_trip() -> None:
        channel = await layer.new_channel("healthz.")
        try:
            token = uuid.uuid4().hex
            await layer.send(channel, {"type": "healthz.ping", "token": token})
            reply = await asyncio.wait_for(layer.receive(channel), CHECK_TIMEOUT_SECONDS)
            if reply.get("token") != token:
                raise RuntimeError("the layer returned another message")
        finally:
            discard = getattr(layer, "discard_channel", None)  # Parley's pub/sub layer
            if discard is not None:
                await discard(channel)

    async_to_sync(round_trip)()
    return type(layer).__name__


def check_broker() -> str:
    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return "in-process"
    with app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
    return "redis"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report: dict[str, dict[str, str]] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        try:
            report[name] = {"status": "ok", "backend": check()}
        except Exception as error:  # any failure is the answer we are here to give
            report[name] = {"status": "error", "error": f"{type(error).__name__}: {error}"[:300]}
            failed.append(name)
    body = {
        "status": "ok" if not failed else "error",
        "failed": failed,
        "checks": report,
        "receipts": receipt_counts() if "database" not in failed else {"error": "database unavailable"},
    }
    return JsonResponse(body, status=503 if failed else 200)


def receipt_counts() -> dict[str, int | str]:
    """Pending and failed webhook receipts, each counted up to `counted_up_to`."""
    try:
        return {**receipts_count_unsettled(), "counted_up_to": COUNT_LIMIT}
    except Exception as error:  # a metric: its failure is shown, never the answer's
        return {"error": f"{type(error).__name__}: {error}"[:300]}
