"""Log lines as JSON, one object per line, with the request's or task's id, and nothing personal.

Each line: time (UTC, ISO 8601), level, logger, message, process, and `request_id` (an HTTP
request: the client's X-Request-ID when it sent a sane one, else ours, echoed in the response) or
`task_id` (a Celery task) when the line was written while one was being handled; `exc_info` with
the traceback when there is one.

What a line never holds: a message's body, a contact's name, phone number or email address. Our
own log calls name rows by id (tests/operations/test_logs.py sends a marked message through a real
server and greps the lines for it); as a second net, anything shaped like an email address or an
international phone number is masked in every line, and Celery's "succeeded" line drops the
task's return value (a provider's refusal may quote the recipient). A neutral module: no app of ours.
"""

import json
import logging
import os
import re
import time
from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("parley_request_id", default="")
TASK_ID: ContextVar[str] = ContextVar("parley_task_id", default="")

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_NUMBER = re.compile(r"\+\d[\d ()-]{6,18}\d")
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def masked(text: str) -> str:
    """`text` with what looks like an email address or a phone number replaced."""
    if "@" in text:
        text = EMAIL_ADDRESS.sub("<email>", text)
    if "+" in text:
        text = PHONE_NUMBER.sub("<phone>", text)
    return text


def request_id_from(header: str | None) -> str | None:
    """The caller's X-Request-ID when it is one we can log and echo safely, else None."""
    if header and SANE_REQUEST_ID.match(header):
        return header
    return None


class JSONLineFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": masked(record.getMessage()),
            "process": record.process or os.getpid(),
        }
        if request_id := REQUEST_ID.get():
            line["request_id"] = request_id
        if task_id := TASK_ID.get():
            line["task_id"] = task_id
        if record.exc_info:
            line["exc_info"] = masked(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc_info"] = masked(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class IdsInPlainLines(logging.Filter):
    """For the human-readable format (`make run`): the ids as record attributes, and the same masks."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = [value for value in (REQUEST_ID.get(), TASK_ID.get()) if value]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return True


class NoTaskResults(logging.Filter):
    """Celery's 'Task x[id] succeeded in 0.1s: <return value>': the return value is not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict) and "return_value" in record.args:
            record.args = {**record.args, "return_value": "(not logged)"}
        return True
