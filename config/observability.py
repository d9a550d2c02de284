"""Settings for watching a deployment (docs/operations.md): log format, /metrics, the workers'
metrics port. Imported by config/settings.py, which owns the rest.

- PARLEY_LOG_FORMAT: `json` (one object per line, operations/logs.py) or `text`. Default: json in
  the production shape (DATABASE_URL or REDIS_URL set), text for `make run`.
- PARLEY_METRICS_TOKEN: when set, /metrics and the workers' metrics port answer only a request with
  `Authorization: Bearer <token>`. Unset: they answer anyone who can reach them (keep them on the
  internal network then).
- PARLEY_METRICS_PORT / PARLEY_METRICS_ADDRESS: where a Celery worker or beat serves its own
  /metrics (they serve no HTTP otherwise). Unset or 0: they serve none.
- PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself): a directory of the container's own
  where every process of it writes its values; set when a container runs several processes
  (a prefork worker). docker-compose mounts a tmpfs there, empty at each start.
"""

import os

_EMBEDDED = not os.environ.get("DATABASE_URL") and not os.environ.get("REDIS_URL")

PARLEY_LOG_FORMAT = os.environ.get("PARLEY_LOG_FORMAT", "text" if _EMBEDDED else "json").strip().lower()
PARLEY_METRICS_TOKEN = os.environ.get("PARLEY_METRICS_TOKEN", "")
PARLEY_METRICS_PORT = int(os.environ.get("PARLEY_METRICS_PORT", "0") or 0)
PARLEY_METRICS_ADDRESS = os.environ.get("PARLEY_METRICS_ADDRESS", "0.0.0.0")  # noqa: S104  (a container's own port)


def logging_config(*, quiet_loggers: tuple[str, ...]) -> dict:
    """Django's LOGGING: one line per record to stderr (the process manager keeps it), as JSON or
    text; `quiet_loggers` say warnings only."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "ids": {"()": "operations.logs.IdsInPlainLines"},
            "no_task_results": {"()": "operations.logs.NoTaskResults"},
        },
        "formatters": {
            "json": {"()": "operations.logs.JSONLineFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json" if PARLEY_LOG_FORMAT == "json" else "text",
                "filters": ["ids", "no_task_results"],
            }
        },
        "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            **{name: {"level": "WARNING"} for name in quiet_loggers},
        },
    }
