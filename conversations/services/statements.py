"""What the one-statement writes (receiving.py, ending.py) read off the models' metadata, once:
the Message columns a statement takes from the caller, their values, and the fields of a partial
row in the model's order (as Model.from_db wants them); and instances built from such rows."""

from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState

from ..models import Message

M = TypeVar("M", bound=models.Model)


@cache
def message_insert_fields(set_by_statement: frozenset[str]) -> tuple[models.Field, ...]:
    """Message's columns but those the statement sets itself (`set_by_statement`, by name)."""
    return tuple(field for field in Message._meta.concrete_fields if field.name not in set_by_statement)


def message_insert_values(message: Message, set_by_statement: frozenset[str]) -> list:
    """`message`'s values for message_insert_fields, ready for the database."""
    return [
        field.get_db_prep_save(getattr(message, field.attname), connection)
        for field in message_insert_fields(set_by_statement)
    ]


@cache
def loaded_fields(model: type[models.Model], attnames: frozenset[str]) -> tuple[str, ...]:
    """`attnames` in `model`'s order: a partial row's fields for Model.from_db."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in attnames)


def message_insert_sql(set_by_statement: frozenset[str]) -> tuple[str, str]:
    """The column list and the placeholders for message_insert_fields, for an INSERT's text."""
    fields = message_insert_fields(set_by_statement)
    return ", ".join(field.column for field in fields), ", ".join("%s" for _ in fields)


def loaded_instance(model: type[M], values: dict[str, Any], *, alias: str) -> M:
    """An instance of `model` holding `values` (by attname) as read from the database `alias`:
    what Model.from_db makes, without Model.__init__'s work per field (about 20 us a row, a
    tenth of it here), which was a quarter of an expiry batch's Python. Fields not in `values`
    are deferred, as from_db leaves them: reading one asks the database."""
    instance = model.__new__(model)
    instance.__dict__.update(values)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, alias
    return instance
