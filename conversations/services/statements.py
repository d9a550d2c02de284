"""What the one-statement writes (receiving.py, ending.py) read off the models' metadata, once:
the Message columns a statement takes from the caller, their values, and the fields of a partial
row in the model's order (as Model.from_db wants them)."""

from functools import cache

from django.db import connection, models

from ..models import Message


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
