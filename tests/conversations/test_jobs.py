"""Jobs are asked for by name (conversations.jobs): every name a service uses is a task a worker
runs, in a web process as in a worker, and an unknown name fails loudly."""

import pytest
from celery import current_app
from celery.exceptions import NotRegistered

from channels_in.media import DOWNLOAD_MEDIA
from channels_in.profiles import FETCH_PROFILE
from conversations import jobs
from outbound_webhooks.subscriber import DELIVER_WEBHOOK

JOBS = [
    jobs.DELIVER_MESSAGE,
    jobs.ANNOUNCE_QUEUE,
    jobs.SEND_TRANSCRIPT,
    jobs.NOTIFY_CONTACT_OF_REPLIES,
    DOWNLOAD_MEDIA,
    FETCH_PROFILE,
    DELIVER_WEBHOOK,
]


@pytest.mark.parametrize("job", JOBS)
def test_every_job_a_service_asks_for_is_a_registered_task(job):
    assert current_app.tasks[job].name == job


def test_an_unknown_job_is_refused_before_anything_is_queued():
    with pytest.raises(NotRegistered):
        jobs.run("conversations.tasks.no_such_job", 1)
