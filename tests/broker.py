"""The test run's Celery broker (REDIS_URL's Redis database), emptied before a test starts a real
worker.

Tests without a worker leave tasks behind (live servers and transactional tests run their
on-commit hooks), and a worker a test killed leaves the task it held in the broker's `unacked`
hash, which outlives the run: the next worker to start puts back every unacked task older than
its visibility timeout and runs it against rows another test's flush deleted (or, in a later
run's new database, against someone else's row with the same id)."""

from django.core.cache import cache

from channels_in.receipts import DRAIN_QUEUED
from config.celery import app as celery_app


def broker_empty() -> None:
    """Drop every task waiting in the broker and every task a worker took and never acknowledged;
    and the receipts' "drain queued" flag, since a queued drain is among what was dropped (while
    it stands, a webhook queues no drain)."""
    celery_app.control.purge()
    with celery_app.connection_for_write() as broker:
        channel = broker.default_channel
        channel.client.delete(channel.unacked_key, channel.unacked_index_key)
    cache.delete(DRAIN_QUEUED)
