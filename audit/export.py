"""The audit log as a file: CSV for a spreadsheet, JSON Lines for a log pipeline, streamed a batch
at a time, newest first, so a long log needs no memory.

Each batch is its own short query, continuing after the last entry sent (keyset on `at` and id),
not one server-side cursor: under ASGI the body is sent from the event loop, and each batch is read
with one hop to a worker thread (`export_stream`).
"""

import csv
import json
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.db.models import Q, QuerySet

from .models import AuditEntry

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
COLUMNS = (
    "id",
    "at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "details",
    "ip",
    "request_id",
)
BATCH = 1000


def export_batches(entries: QuerySet[AuditEntry], file_format: str) -> Iterator[str]:
    """The file in pieces of up to BATCH entries (CSV: the header first)."""
    line = _Line()
    writer = csv.writer(line)
    if file_format == "csv":
        writer.writerow(COLUMNS)
        yield line.take()
    for batch in _batches(entries.order_by("-at", "-id")):
        if file_format == "jsonl":
            yield "".join(json.dumps(_row(entry), ensure_ascii=False) + "\n" for entry in batch)
        else:
            for entry in batch:
                row = _row(entry)
                writer.writerow([_cell(row[column]) for column in COLUMNS])
            yield line.take()


async def export_stream(entries: QuerySet[AuditEntry], file_format: str) -> AsyncIterator[str]:
    """export_batches for a server that sends from its event loop: each batch read on the
    request's own thread, one hop each."""
    pieces = export_batches(entries, file_format)
    read = sync_to_async(next, thread_sensitive=True)
    while (piece := await read(pieces, None)) is not None:
        yield piece


def _batches(entries: QuerySet[AuditEntry]) -> Iterator[list[AuditEntry]]:
    batch = list(entries[:BATCH])
    while batch:
        yield batch
        last = batch[-1]
        batch = list(entries.filter(Q(at__lt=last.at) | Q(at=last.at, id__lt=last.pk))[:BATCH])


def _row(entry: AuditEntry) -> dict:
    return {
        "id": entry.pk,
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "details": entry.details,
        "ip": entry.ip,
        "request_id": entry.request_id,
    }


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as written: JSON for details, and a leading =, +, - or @ (a
    formula to a spreadsheet) quoted with an apostrophe, since labels come from users."""
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class _Line:
    """A file for csv.writer that hands back each line as it is written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def take(self) -> str:
        text, self.text = self.text, ""
        return text
