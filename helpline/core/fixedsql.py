"""Fixed statements of hot write paths, compiled once per process: a model's INSERT, and
model instances built from a raw statement's columns.

Django builds and compiles every statement anew (about 0.2 ms of Python each); the mail
intake runs the same few inserts and reads for every message. These produce the SQL Django
would, adapt values through the fields as Django does (`get_db_prep_save`, the database's and
the fields' converters), and skip only the compiling. They are for models whose saves nobody
listens to: with a `pre_save`/`post_save` receiver connected, `insert` saves the ordinary way,
so a signal is never skipped.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)


def _quote(alias: str, name: str) -> str:
    return connections[alias].ops.quote_name(name)


@cache
def _insert_plan(
    model: type[models.Model], alias: str, vendor: str
) -> tuple[str, list[models.Field]]:
    meta = model._meta
    # The key is the database's (an auto field); every other column is written.
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    columns = ", ".join(_quote(alias, f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    # Only the model's table and column names are interpolated, quoted.
    table, key = _quote(alias, meta.db_table), _quote(alias, meta.pk.column)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {key}"  # noqa: S608
    return sql, fields


def insert_statement(obj: models.Model, *, using: str = "default") -> tuple[str, list[Any]]:
    """The INSERT (… RETURNING the key) of `obj`, a new instance with a database-made key, and
    its parameters: every concrete field's value as `save()` would write it (`pre_save`: the
    defaults, auto_now times, a file field's name)."""
    connection = connections[using]
    if not isinstance(obj._meta.pk, models.AutoField):
        raise TypeError(f"{type(obj).__name__}: only models keyed by an auto field")
    sql, fields = _insert_plan(type(obj), using, connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    return sql, params


def listened(*models_: type[models.Model]) -> bool:
    """Does anyone listen to saves of one of `models_`, or does one have a column the database
    fills in (`db_default`)? Then they are saved the ordinary way."""
    return any(
        pre_save.has_listeners(m)
        or post_save.has_listeners(m)
        or any(f.db_default is not models.NOT_PROVIDED for f in m._meta.concrete_fields)
        for m in models_
    )


def insert(obj: M, *, using: str = "default") -> M:
    """Insert `obj` (new, its key made by the database) as `obj.save()` would; the key is set
    on it. A model with save receivers is saved the ordinary way."""
    if listened(type(obj)):
        obj.save(force_insert=True, using=using)
        return obj
    sql, params = insert_statement(obj, using=using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    inserted(obj, using=using)
    return obj


def inserted(obj: models.Model, *, using: str = "default") -> None:
    """Mark `obj` saved (its key set by the caller from the statement's RETURNING)."""
    obj._state.adding = False
    obj._state.db = using


@cache
def _columns(model: type[models.Model], alias: str, table_alias: str) -> str:
    prefix = f"{table_alias}." if table_alias else ""
    return ", ".join(prefix + _quote(alias, f.column) for f in model._meta.concrete_fields)


def select_columns(model: type[models.Model], table_alias: str = "", *, using: str = "default"):
    """Every concrete column of `model`, in field order, for a raw SELECT whose row part
    `instance` turns into the model (prefixed with `table_alias.` when given)."""
    return _columns(model, using, table_alias)


@cache
def _converters(model: type[models.Model], alias: str, vendor: str) -> list[tuple[int, list, Any]]:
    connection = connections[alias]
    out = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            out.append((index, found, col))
    return out


def instance(model: type[M], values: Sequence[Any], *, using: str = "default") -> M:
    """`model` from a raw row holding `select_columns(model)`, converted as a queryset would
    (dates, JSON, booleans), built through `from_db` as Django's own reads are."""
    connection = connections[using]
    row = list(values)
    for index, functions, col in _converters(model, using, connection.vendor):
        value = row[index]
        for function in functions:
            value = function(value, col, connection)
        row[index] = value
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(using, names, row)
