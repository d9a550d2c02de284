"""What the fuzzers ask of the database: a digest of the rows a door could write, to prove that a
refused request stored nothing, and a savepoint that undoes each example, so examples do not see
each other's writes and a failing one replays on the same rows."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction


def digest(tables: Iterable[type[models.Model]]) -> tuple[str, ...]:
    """One checksum of every row of each table, computed by Postgres in a single query."""
    checksums = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.{model._meta.pk.column}), '')) "  # noqa: S608
        f"FROM {model._meta.db_table} t)"  # table and column names from our own models
        for model in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {checksums}")
        return cursor.fetchone()


@contextmanager
def undone() -> Iterator[None]:
    """Run one example in a savepoint and roll it back, whatever happened inside."""

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            yield
            raise Undo
    except Undo:
        pass
