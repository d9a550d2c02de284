"""The Celery app. Tasks live in each app's tasks.py; settings come from CELERY_* in settings."""

import os

from celery import Celery

from operations.worker import connect_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_signals()  # JSON logs with task ids, task metrics, the worker's /metrics (docs/operations.md)
