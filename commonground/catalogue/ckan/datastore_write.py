"""DataStore writes: ``datastore_create``, ``datastore_upsert``, ``datastore_delete`` and
``datastore_info``.

A resource's table is its live version, and versions never change: every write builds the
whole new table (the live version's columns, with the records added, changed or deleted) as
a Parquet file in DuckDB and ingests it as any upload is
(:mod:`commonground.catalogue.services.ingest`), so each write is a new immutable version
with its own report, place links and history, and the one before stays readable.

* The primary key (``primary_key`` of ``datastore_create``) is kept in the version's report
  (``report["datastore"]["primary_key"]``) and carried to each version a write makes;
  ``datastore_upsert`` with ``method`` ``upsert`` (the default) or ``update`` matches
  records on it, and a record's fields not given keep their values; ``insert`` adds rows
  (a key already there is an error when the table has a key).
* ``datastore_delete`` deletes the rows matching ``filters`` (``{column: value}`` or
  ``{column: [values]}``, ANDed); without filters it is refused (CKAN would drop the table;
  here the versions stay: delete the resource instead).
* The live version is read where it is (a folder or an object store: ``datastore.storage``).
* A table needs at least one row, and one with geometries (a GeoJSON, GeoPackage or
  Shapefile upload) is changed by uploading a file: both are Validation Errors.

Rights as ``resource_update``'s: the dataset organisation's editors.
"""

# ruff: noqa: S608 -- every name in the SQL below is quoted by identifier(), every value by
# literal() or passed as a parameter

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import duckdb

from commonground.datastore import query, storage
from commonground.datastore.errors import public_message
from commonground.datastore.sqlquote import identifier, literal
from commonground.datastore.typesql import SQL_TYPES

from .. import access
from ..models import IngestJob, Resource, Version
from ..services import ingest
from . import resource_write
from .context import Context, changes_data
from .datastore_actions import DATASTORE_TYPES, _datastore_resource
from .errors import NotFound, ValidationError
from .params import required, required_text, string_list, text

#: CKAN's (PostgreSQL's) column types as ours.
CKAN_TYPES = {"text": "string", "varchar": "string", "int": "integer", "int4": "integer",
              "int8": "integer", "integer": "integer", "bigint": "integer",
              "numeric": "number", "float": "number", "float8": "number",
              "double precision": "number", "bool": "boolean", "boolean": "boolean",
              "date": "date", "timestamp": "datetime", **{t: t for t in SQL_TYPES}}
METHODS = ("upsert", "insert", "update")


def _live(resource: Resource) -> Version | None:
    version = resource.current_version
    if version is not None and "_geometry" in _parquet_columns(version):
        raise ValidationError({"resource_id": [
            "This table has geometries: change it by uploading a file"]})
    return version


def _parquet_columns(version: Version) -> list[str]:
    con = storage.connect()
    try:
        return [row[0] for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({literal(str(version.parquet_path))})"
        ).fetchall()]
    finally:
        con.close()


def _primary_key(version: Version | None) -> list[str]:
    return list(((version.report or {}).get("datastore") or {}).get("primary_key") or []) \
        if version else []


def _records(data: dict, columns: dict[str, str]) -> list[dict]:
    records = required(data, "records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValidationError({"records": ["Must be a list of dictionaries"]})
    for number, record in enumerate(records, 1):
        unknown = [k for k in record if k not in columns]
        if unknown:
            raise ValidationError({"records": [f"Record {number}: no such column: "
                                               f"{', '.join(unknown)}"]})
    return records


def _build(con, columns: dict[str, str], key: list[str], records: list[dict], method: str,
           current: Path | None, workdir: Path) -> None:
    """The new table ``out``: the current rows with ``records`` merged in by ``method``."""
    cols = ", ".join(identifier(c) for c in columns)
    typed = {**{c: SQL_TYPES[t] for c, t in columns.items()}, "_given": "VARCHAR[]"}
    incoming = workdir / "records.jsonl"
    with open(incoming, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps({**record, "_given": list(record)}, default=str) + "\n")
    spec = "{" + ", ".join(f"{literal(c)}: {literal(t)}" for c, t in typed.items()) + "}"
    try:
        con.execute(f"CREATE TABLE inc AS SELECT *, row_number() OVER () AS _ipos FROM "
                    f"read_json({literal(str(incoming))}, format='newline_delimited', "
                    f"columns={spec})")
    except duckdb.Error as exc:
        raise ValidationError({"records": [public_message(exc, file="records")]}) from None
    source = (f"SELECT {cols} FROM read_parquet({literal(str(current))})" if current
              else f"SELECT {cols} FROM inc WHERE false")
    con.execute(f"CREATE TABLE cur AS SELECT *, row_number() OVER () AS _pos FROM ({source})")
    _check(con, key, method)
    match = " AND ".join(f"c.{identifier(k)} = i.{identifier(k)}" for k in key) or "false"
    merged = ", ".join(f"CASE WHEN i._ipos IS NULL OR NOT list_contains(i._given, "
                       f"{literal(c)}) THEN c.{identifier(c)} ELSE i.{identifier(c)} END "
                       f"AS {identifier(c)}" for c in columns)
    con.execute(f"""CREATE TABLE out AS
        SELECT {merged}, c._pos FROM cur c LEFT JOIN inc i ON {match}
        UNION ALL
        SELECT {", ".join(f"i.{identifier(c)}" for c in columns)},
               (SELECT coalesce(max(_pos), 0) FROM cur) + i._ipos
        FROM inc i WHERE NOT EXISTS (SELECT 1 FROM cur c WHERE {match})""")


def _check(con, key: list[str], method: str) -> None:
    if not key:
        if method != "insert":
            raise ValidationError({"method": [f'"{method}" needs the table\'s primary key: '
                                              'this table has none (use "insert")']})
        return
    keys = ", ".join(identifier(k) for k in key)
    nulls = " OR ".join(f"{identifier(k)} IS NULL" for k in key)
    if con.execute(f"SELECT count(*) FROM inc WHERE {nulls}").fetchone()[0]:
        raise ValidationError({"records": [f"Every record needs its key: {', '.join(key)}"]})
    twice = con.execute(f"SELECT {keys} FROM inc GROUP BY ALL HAVING count(*) > 1 "
                        "LIMIT 1").fetchone()
    if twice:
        raise ValidationError({"records": [f"The key {list(twice)} is given twice"]})
    match = " AND ".join(f"c.{identifier(k)} = i.{identifier(k)}" for k in key)
    found = con.execute(f"SELECT count(*) FROM inc i WHERE EXISTS "
                        f"(SELECT 1 FROM cur c WHERE {match})").fetchone()[0]
    total = con.execute("SELECT count(*) FROM inc").fetchone()[0]
    if method == "insert" and found:
        raise ValidationError({"records": [f"{found} of the records have a key already in "
                                           "the table (use upsert)"]})
    if method == "update" and found < total:
        raise ValidationError({"records": [f"{total - found} of the records have a key not "
                                           "in the table (use upsert)"]})


def _publish(context: Context, resource: Resource, con, key: list[str],
             workdir: Path, *, new: bool = False) -> IngestJob:
    """Write ``out`` as Parquet and ingest it as the resource's next version."""
    path = workdir / "datastore.parquet"
    if not con.execute("SELECT count(*) FROM out").fetchone()[0]:
        raise ValidationError({"records": ["A table needs at least one row"]})
    names = [r[0] for r in con.execute("DESCRIBE out").fetchall() if r[0] != "_pos"]
    con.execute(f"COPY (SELECT {', '.join(identifier(c) for c in names)} FROM out "
                f"ORDER BY _pos) TO {literal(str(path))} (FORMAT parquet)")
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 16), b""),
                                  filename="datastore.parquet", user=context.user)
    job = ingest.start(job)
    if job.status in resource_write.FAILED:
        if new:
            resource_write.delete_resource(resource)
        raise ValidationError({"records": [f"{job.error or job.message}. Nothing was "
                                           "changed."]})
    if job.status == IngestJob.Status.DONE and key:
        version = Version.objects.get(pk=job.version_id)
        Version.objects.filter(pk=version.pk).update(
            report={**version.report, "datastore": {"primary_key": key}})
    return job


def _write(context: Context, resource: Resource, columns: dict[str, str], key: list[str],
           records: list[dict], method: str, *, new: bool = False) -> IngestJob:
    version = resource.current_version
    workdir = Path(tempfile.mkdtemp(prefix="datastore-", dir=ingest._tmp()))
    con = storage.connect()
    try:
        _build(con, columns, key, records, method,
               version.parquet_path if version else None, workdir)
        return _publish(context, resource, con, key, workdir, new=new)
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _answer(resource: Resource, job: IngestJob, **fields) -> dict:
    return {"resource_id": str(resource.id), **fields,
            "ingest": {"id": str(job.id), "status": job.status}}


def _fields(data: dict) -> dict[str, str]:
    fields = required(data, "fields")
    if not isinstance(fields, list) or not all(
            isinstance(f, dict) and isinstance(f.get("id"), str) for f in fields):
        raise ValidationError({"fields": ['Must be a list of {"id": ..., "type": ...}']})
    out = {}
    for field in fields:
        name, kind = field["id"].strip(), str(field.get("type") or "text").lower()
        if not name or name.startswith("_") or name in out:
            raise ValidationError({"fields": [f'"{name}" cannot be a column name (empty, '
                                              'taken, or starting with "_")']})
        if kind not in CKAN_TYPES:
            raise ValidationError({"fields": [f'"{name}": unknown type "{kind}"']})
        out[name] = CKAN_TYPES[kind]
    return out


@changes_data
def datastore_create(context: Context, data: dict) -> dict:
    """Create a resource's table from ``fields`` and ``records`` (a new version); on a
    resource that has a table, add the ``records`` to it.

    :param resource_id: the resource (or ``resource``, a new resource's dictionary with its
        ``package_id``)
    :param fields: ``[{"id": "name", "type": "text"}]``: text, int, numeric, bool, date,
        timestamp
    :param records: the rows, ``[{"name": "value"}]``
    :param primary_key: the column(s) that name a row, for ``datastore_upsert``

    :rtype: dictionary
    """
    from .package_write import editable_dataset

    if data.get("resource_id"):
        resource = resource_write._editable(context, data["resource_id"], "datastore_create")
        new = False
    else:
        spec = required(data, "resource")
        if not isinstance(spec, dict):
            raise ValidationError({"resource": ["Must be a resource dictionary"]})
        dataset = editable_dataset(context, required_text(spec, "package_id"),
                                   "datastore_create")
        resource, new = None, True
    version = _live(resource) if resource else None
    columns = ({s["name"]: s["type"] for s in version.schema} if version
               else _fields(data))
    key = string_list(data.get("primary_key"), "primary_key") or _primary_key(version)
    unknown = [k for k in key if k not in columns]
    if unknown:
        raise ValidationError({"primary_key": [f"No such column: {', '.join(unknown)}"]})
    records = _records(data, columns)
    if resource is None:
        resource = Resource.objects.create(
            dataset=dataset, name=text(spec, "name").strip()[:300] or "Table",
            description=text(spec, "description"), position=dataset.resources.count())
    try:
        job = _write(context, resource, columns, key, records, "insert", new=new)
    except ValidationError:
        if new and Resource.objects.filter(pk=resource.pk).exists():
            resource_write.delete_resource(resource)
        raise
    return _answer(resource, job, fields=[{"id": c, "type": DATASTORE_TYPES[t]}
                                          for c, t in columns.items()],
                   primary_key=key, method="insert")


@changes_data
def datastore_upsert(context: Context, data: dict) -> dict:
    """Add or change rows of a resource's table: a new version.

    :param resource_id: the resource
    :param records: the rows
    :param method: ``upsert`` (default: change rows whose key is there, add the others),
        ``insert`` (add) or ``update`` (change; every key must be there)

    :rtype: dictionary
    """
    resource = resource_write._editable(context, required_text(data, "resource_id"),
                                        "datastore_upsert")
    method = text(data, "method") or "upsert"
    if method not in METHODS:
        raise ValidationError({"method": [f"Must be one of {', '.join(METHODS)}"]})
    version = _live(resource)
    if version is None:
        raise ValidationError({"resource_id": ["This resource has no table yet: use "
                                               "datastore_create"]})
    columns = {s["name"]: s["type"] for s in version.schema}
    key = _primary_key(version)
    job = _write(context, resource, columns, key, _records(data, columns), method)
    return _answer(resource, job, method=method)


@changes_data
def datastore_delete(context: Context, data: dict) -> dict:
    """Delete the rows of a resource's table that match ``filters``: a new version.

    :param resource_id: the resource
    :param filters: ``{column: value}`` or ``{column: [values]}``, ANDed (required)

    :rtype: dictionary
    """
    resource = resource_write._editable(context, required_text(data, "resource_id"),
                                        "datastore_delete")
    filters = data.get("filters")
    if not isinstance(filters, dict) or not filters:
        raise ValidationError({"filters": ["Give the rows to delete as {column: value}: "
                                           "a whole table goes with its resource"]})
    version = _live(resource)
    if version is None:
        raise NotFound(f'Resource "{resource.id}" has no DataStore table.')
    columns = {s["name"]: s["type"] for s in version.schema}
    conditions, params = [], []
    for column, wanted in filters.items():
        if column not in columns:
            raise ValidationError({"filters": [f'invalid value "{column}"']})
        values = wanted if isinstance(wanted, list) else [wanted]
        cast = SQL_TYPES[columns[column]]
        conditions.append(f"{identifier(column)} IN ("
                          + ", ".join(f"CAST(? AS {cast})" for _ in values) + ")")
        params += [None if v is None else str(v) for v in values]
    workdir = Path(tempfile.mkdtemp(prefix="datastore-", dir=ingest._tmp()))
    con = storage.connect()
    try:
        con.execute(f"CREATE TABLE out AS SELECT *, row_number() OVER () AS _pos FROM "
                    f"(SELECT {', '.join(identifier(c) for c in columns)} FROM read_parquet("
                    f"{literal(str(version.parquet_path))}))")
        try:
            gone = con.execute(f"DELETE FROM out WHERE {' AND '.join(conditions)}",
                               params).fetchone()[0]
        except duckdb.Error as exc:
            raise ValidationError({"filters": [public_message(exc, file="filters")]}) \
                from None
        job = _publish(context, resource, con, _primary_key(version), workdir) if gone \
            else None
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    out = {"resource_id": str(resource.id), "filters": filters, "deleted": gone}
    if job is not None:
        out["ingest"] = {"id": str(job.id), "status": job.status}
    return out


def datastore_info(context: Context, data: dict) -> dict:
    """Return a resource's table: its columns (with their types) and its row count.

    :param id: the resource (``resource_id`` is accepted too)
    :type id: string

    :rtype: dictionary
    """
    key = "id" if data.get("id") not in (None, "") or "resource_id" not in data \
        else "resource_id"
    resource, rows = _datastore_resource(context, required_text(data, key))
    version = resource.current_version
    # the columns the caller reads (a grant's or the open part's), as datastore_search's
    shown = {c["name"] for c in query.scoped(version.parquet_path, None, rows.scope)[0]}
    key = _primary_key(version)
    count = version.row_count if access.can_see_row_totals(context.user, resource.dataset) \
        else None
    return {"meta": {"id": str(resource.id), "count": count, "table_type": "BASE TABLE",
                     "aliases": []},
            "fields": [{"id": s["name"], "type": DATASTORE_TYPES.get(s["type"], "text"),
                        "schema": {"native_type": DATASTORE_TYPES.get(s["type"], "text"),
                                   "is_index": s["name"] in key, "notnull": s["name"] in key,
                                   "uniquekey": s["name"] in key}}
                       for s in version.schema if s["name"] in shown]}
