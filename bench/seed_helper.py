"""Bulk rows for the expiry and routing benchmarks: COPY by model, and agents who can take work.

copy_rows (COPY) and insert_select (INSERT ... SELECT) write every concrete column the model has,
taking the model's own default for a column a row leaves out, so a seed keeps working when a field
with a default is added (a raw column list would fail on its NOT NULL). Ids are reserved from each
table's own sequence first, so rows that reference each other can be planned in Python and written
in one COPY per table.
"""

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import Field, Model
from django.test.utils import override_settings
from django.utils import timezone

from agents.models import AgentProfile
from agents.services import agent_create
from conversations.models import Inbox


def dsn() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def reserve_ids(db: psycopg.Connection, model: type[Model], count: int) -> list[int]:
    table, pk = model._meta.db_table, model._meta.pk.column
    rows = db.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
    )
    return [row[0] for row in rows]


def _auto_now(field: Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _per_row_default(field: Field) -> bool:
    """A callable default that gives each row a value of its own (a random key); dict and list
    make an empty value, one for all rows."""
    return (
        not _auto_now(field)
        and field.has_default()
        and callable(field.default)
        and field.default not in (dict, list)
    )


def _static_default(field: Field, now: datetime) -> object:
    """The value a row that leaves `field` out gets: now for auto_now fields, else its default."""
    return now if _auto_now(field) else field.get_db_prep_save(field.get_default(), connection)


def copy_rows(
    db: psycopg.Connection, model: type[Model], rows: Iterable[dict], *, with_pk: bool = True
) -> int:
    """COPY `rows` (dicts keyed by field attname) into the model's table; a field a row leaves out
    gets the model's default (now, for auto_now fields). Without `with_pk` the table's sequence
    numbers the rows. Values go to psycopg as they are (it adapts str, numbers, datetimes and
    timedeltas itself) except JSON, which the field prepares. Returns the rows written."""
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    now = timezone.now()
    json_fields = {field.attname for field in fields if field.get_internal_type() == "JSONField"}

    def prepared(field, value):
        return field.get_db_prep_save(value, connection) if field.attname in json_fields else value

    static, per_row = {}, {}
    for field in fields:
        if _per_row_default(field):
            per_row[field.attname] = field  # e.g. a random key: a value of its own for every row
        else:
            static[field.attname] = _static_default(field, now)
    columns = ", ".join(f'"{field.column}"' for field in fields)
    written = 0
    with db.cursor() as cursor, cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for field in fields:
                name = field.attname
                if name in row:
                    values.append(prepared(field, row[name]))
                elif name in per_row:
                    values.append(prepared(field, field.get_default()))
                else:
                    values.append(static[name])
            copy.write_row(values)
            written += 1
    return written


def insert_select(
    db: psycopg.Connection,
    model: type[Model],
    expressions: dict[str, str],
    rest: str,
    params: dict | None = None,
) -> int:
    """INSERT INTO the model's table the rows of `SELECT <expressions> <rest>`, where `expressions`
    maps a field's column to its SQL; every other concrete column gets the model's default (now, for
    auto_now fields), so a field added later with a default keeps the seed working, as copy_rows
    does for COPY. A callable default would give every row one value: such a column must be given.
    Returns the rows written."""
    now, defaults = timezone.now(), {}
    for model_field in model._meta.concrete_fields:
        if model_field.column in expressions or model_field.primary_key:
            continue
        if _per_row_default(model_field):
            raise ValueError(f"{model.__name__}.{model_field.name}: a per-row default; give its SQL")
        defaults[model_field.column] = _static_default(model_field, now)
    params = dict(params or {})
    selected = list(expressions.values())
    for n, value in enumerate(defaults.values()):
        params[f"default_{n}"] = value
        selected.append(f"%(default_{n})s")
    columns = ", ".join(f'"{column}"' for column in [*expressions, *defaults])
    statement = f'INSERT INTO "{model._meta.db_table}" ({columns}) SELECT {", ".join(selected)} {rest}'
    return db.execute(statement, params).rowcount


def agents_online(
    count: int, *, prefix: str, inboxes: Sequence[Inbox], **profile: object
) -> list[AbstractBaseUser]:
    """`count` agents through the product's agent_create, members of `inboxes`, online and
    accepting (as their desk would make them), with `profile` fields (capacities) set."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        agents = [
            agent_create(
                username=f"{prefix}-{n}",
                email=f"{prefix}-{n}@example.com",
                password=f"{prefix}-{n}-password",
                display_name=f"{prefix.title()} {n}",
                inboxes=inboxes,
            )
            for n in range(count)
        ]
    AgentProfile.objects.filter(user__in=agents).update(
        availability=AgentProfile.Availability.ONLINE, accepting=True, last_seen_at=timezone.now(), **profile
    )
    return agents


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a benchmark's worker process: this run's database and settings."""
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        DATABASE_URL=dsn(),
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DB_POOL_MAX_SIZE="2",
        CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "parley"),
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env
