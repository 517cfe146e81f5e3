"""DataStore actions over a resource's rows: ``datastore_search`` and ``datastore_search_sql``.

``datastore_search`` reads the live version through :mod:`commonground.datastore.query`;
``datastore_search_sql`` runs in :mod:`commonground.datastore.sqlsandbox` for at most
``COMMONGROUND_SQL_TIMEOUT`` seconds (default 5), and its records may take at most
``COMMONGROUND_SQL_MAX_BYTES`` of JSON (default 50 MB): they are fetched and encoded in batches
and the call is refused as soon as they grow past it, then streamed out (:mod:`.jsonstream`).
Both return at most :data:`DATASTORE_ROWS_MAX` rows (CKAN's ``ckan.datastore.search.rows_max``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from urllib.parse import urlencode

from django.conf import settings

from commonground.datastore import query
from commonground.datastore.layout import NOT_TABULAR
from commonground.datastore.sqlsandbox import SQLError, SQLRows, SQLTimeout, open_readonly_sql

from .. import access
from ..feed_resources import feed_note, is_feed
from ..models import Resource
from ..services import readlog
from . import tokens
from .context import Context
from .errors import NotAuthorized, NotFound, ValidationError
from .jsonstream import ENCODER, EncodedJSON
from .params import boolean, natural, parse_json, parse_uuid, required_text, string_list, text

#: Largest ``limit`` of datastore_search and rows of datastore_search_sql (CKAN's
#: ``ckan.datastore.search.rows_max`` default; also our query engine's limit).
DATASTORE_ROWS_MAX = query.MAX_LIMIT
#: Bytes of JSON datastore_search_sql encodes per batch of rows (the batch's row count adapts
#: to the rows' width), so the memory beyond the answer itself stays about this small.
SQL_BATCH_BYTES = 256 << 10
#: Our column types as CKAN's DataStore reports PostgreSQL types.
DATASTORE_TYPES = {"integer": "int", "number": "numeric", "string": "text", "boolean": "bool",
                   "date": "date", "datetime": "timestamp"}
#: Version columns the DataStore does not show: the source row number and binary geometry.
DATASTORE_HIDDEN = NOT_TABULAR  # the source row number and binary geometry


def _datastore_resource(context: Context, rid: str) -> tuple[Resource, access.RowAccess]:
    """The resource, if the caller may see some of its rows, and which.

    One the caller may not see at all (a draft's, a private dataset's) is not found, exactly
    as one that does not exist; one whose dataset is visible but whose rows are withheld
    (records about people, a restricted dataset without a grant) is an Authorization Error,
    as is a dataset key that does not read it (the message says why). The caller is the
    user of a CKAN API token when the ``Authorization`` header holds one, else the dataset
    key it holds (or ``X-API-Key``), else the session's user.
    """
    pk = parse_uuid(rid)
    resource = Resource.objects.select_related("dataset__organisation", "current_version").filter(
        pk=pk).first() if pk else None
    if resource is None or not access.can_view(context.user, resource.dataset):
        raise NotFound(f'Resource "{rid}" was not found.')
    if is_feed(resource):
        raise NotFound(f'Resource "{rid}" has no DataStore table. {feed_note(resource)}')
    if resource.current_version is None:
        raise NotFound(f'Resource "{rid}" was not found.')
    return resource, _reader(context, resource)


def _reader(context: Context, resource: Resource) -> access.RowAccess:
    # a CKAN API token's user first; a dataset key only when the header holds no live token
    who = tokens.caller(context.request)
    keys = not (who.by_token and who.user.is_authenticated)
    try:
        return readlog.reader(context.request, resource.dataset, user=context.user, keys=keys)
    except readlog.ReadRefused as refused:
        if keys and access.key_sent(context.request) is not None:
            raise NotAuthorized(str(refused)) from None
        raise NotAuthorized(f"User {context.username} not authorized to read resource "
                            f"{resource.id}") from None


def _invalid(key: str, value) -> ValidationError:
    return ValidationError({key: [f'invalid value "{value}"']})


def _datastore_filters(value, types: dict[str, str]) -> list[query.Filter]:
    filters = parse_json(value, "filters") if value not in (None, "") else {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": ["Filters must be defined as a dict"]})
    out = []
    for column, wanted in filters.items():
        if column not in types or isinstance(wanted, dict):
            raise _invalid("filters", column)
        if isinstance(wanted, list):
            out.append(query.Filter(column, "in", wanted))
        else:
            out.append(query.Filter(column, "eq", wanted))
    return out


def _datastore_q(value, types: dict[str, str]) -> tuple[str | None, list[query.Filter]]:
    """``q`` text (every word in some text column) or ``{column: text}`` (per column)."""
    if value in (None, ""):
        return None, []
    if isinstance(value, str) and value.lstrip().startswith("{"):
        value = parse_json(value, "q")
    if isinstance(value, dict):
        for column, text in value.items():
            if column not in types or not isinstance(text, str):
                raise _invalid("q", column)
        return None, [query.Filter(c, "contains", t) for c, t in value.items()]
    if not isinstance(value, str):
        raise _invalid("q", value)
    return value, []


def _datastore_fields(value, types: dict[str, str]) -> list[str]:
    fields = string_list(value, "fields")
    for name in fields:
        if name not in types:
            raise _invalid("fields", name)
    return fields or list(types)


def _datastore_sort(value, types: dict[str, str]) -> list[tuple[str, bool]]:
    """``"col desc, other"`` or a list of such clauses; names may be double-quoted."""
    if isinstance(value, list) and all(isinstance(clause, str) for clause in value):
        clauses = value
    else:
        clauses = text({"sort": value}, "sort").split(",")
    out = []
    for clause in clauses:
        stripped = clause.strip()
        if not stripped:
            continue
        match = re.fullmatch(r'("(?:[^"]|"")+"|[^\s"]+)(?:\s+(asc|desc))?', stripped,
                             re.IGNORECASE)
        name = match.group(1) if match else None
        if name and name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        if name not in types:
            raise _invalid("sort", stripped)
        out.append((name, bool(match.group(2)) and match.group(2).lower() == "desc"))
    return out


def _links(context: Context, data: dict, limit: int, offset: int) -> dict:
    """CKAN's ``_links``: this call's URL without ``offset``, and with the next offset."""
    request = context.request
    if request.method == "GET":
        items = [(k, v) for k, v in request.GET.items()]
    else:
        items = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()]
    start = [(k, v) for k, v in items if k != "offset"]
    links = {"start": f"{request.path}?{urlencode(start)}",
             "next": f"{request.path}?{urlencode(start + [('offset', offset + limit)])}"}
    if offset > 0:
        links["prev"] = f"{request.path}?{urlencode(start + [('offset', max(offset - limit, 0))])}"
    return links


def _records(rows: list[dict], fields: list[str], records_format: str):
    if records_format == "objects":
        return rows
    if records_format == "lists":
        return [[row[f] for f in fields] for row in rows]
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if records_format == "tsv" else ",",
                        lineterminator="\n")
    writer.writerows([row[f] for f in fields] for row in rows)
    return out.getvalue()


def datastore_search(context: Context, data: dict) -> dict:
    """Search a resource's rows (its live version).

    :param resource_id: id of the resource (``id`` is accepted too)
    :type resource_id: string
    :param filters: ``{column: value}`` or ``{column: [values]}``: rows whose column equals the
        value (one of the values); several columns ANDed
    :type filters: dictionary
    :param q: text that must occur (every word, any case) in some text column; or
        ``{column: text}`` for text within given columns
    :type q: string or dictionary
    :param fields: columns to return, in order (default: all; ``_id`` first)
    :type fields: list or comma-separated string
    :param sort: ``"column desc, other"`` (default ``_id``)
    :type sort: string
    :param limit: rows to return (default 100, at most 32000)
    :type limit: int
    :param offset: rows to skip (default 0)
    :type offset: int
    :param include_total: count the matching rows (default true)
    :type include_total: bool
    :param records_format: ``objects`` (default), ``lists``, ``csv`` or ``tsv``
    :type records_format: string

    Columns are the file's, then the area codes each row was linked to (``_lsoa21``,
    ``_ward``, ...), ``_linked_by``, ``_easting`` and ``_northing`` (British National Grid,
    metres).

    :returns: ``fields`` (``[{"id", "type"}]``), ``records``, ``total``, ``_links`` and the
        parameters used
    :rtype: dictionary
    """
    key = "resource_id" if data.get("resource_id") not in (None, "") else "id"
    rid = text(data, key)
    if not rid:
        raise ValidationError({"resource_id": ["Missing value"]})
    resource, rows = _datastore_resource(context, rid)
    version = resource.current_version
    columns, _, _ = query.scoped(version.parquet_path, None, rows.scope)
    columns = [c for c in columns if c["name"] not in DATASTORE_HIDDEN]
    types = {c["name"]: c["type"] for c in columns}
    filters = _datastore_filters(data.get("filters"), types)
    q, q_filters = _datastore_q(data.get("q"), types)
    fields = _datastore_fields(data.get("fields"), types)
    sort = _datastore_sort(data.get("sort"), types)
    limit = min(natural(data, "limit", 100), DATASTORE_ROWS_MAX)
    offset = natural(data, "offset", 0)
    include_total = boolean(data.get("include_total"), True)
    records_format = text(data, "records_format") or "objects"
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise ValidationError({"records_format": ["Value must be one of: objects; lists; "
                                                  "csv; tsv"]})
    try:
        page = query.run(version.parquet_path, query.RowQuery(
            filters=filters + q_filters, q=q, sort=sort, fields=fields, limit=limit,
            offset=offset, total=include_total), columns, scope=rows.scope)
    except query.QueryError as exc:  # its message is plain, with no engine internals
        raise ValidationError({exc.field or "query": [str(exc)]}) from None
    readlog.record_read(resource.dataset, rows, user=context.user, channel="ckan",
                        resource=resource, version=version,
                        detail=json.dumps(data, default=str), rows=len(page.rows))
    result = {
        "include_total": include_total, "limit": limit, "records_format": records_format,
        "resource_id": str(resource.id), "total_estimation_threshold": None,
        "records": _records(page.rows, fields, records_format),
        "fields": [{"id": c["name"], "type": "int" if c["name"] == "_id" else
                    DATASTORE_TYPES.get(c["type"], c["type"])} for c in page.columns],
        "_links": _links(context, data, limit, offset),
    }
    for key in ("filters", "q", "sort"):
        if data.get(key) not in (None, ""):
            result[key] = parse_json(data[key], key) if key == "filters" else data[key]
    if data.get("offset") not in (None, ""):
        result["offset"] = offset
    if include_total:
        result["total"] = page.total
        result["total_was_estimated"] = False
    return result


_TABLE = re.compile(r'"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                    r'[0-9a-fA-F]{12})"')


def _sql_type(duckdb_type: str) -> str:
    kind = duckdb_type.upper()
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
                "USMALLINT", "UTINYINT"):
        return "int"
    if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
        return "numeric"
    if kind.startswith("TIMESTAMP"):
        return "timestamp"
    return {"VARCHAR": "text", "BOOLEAN": "bool", "DATE": "date", "BLOB": "bytea"}.get(
        kind, duckdb_type.lower())


def _json_safe(value):
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    return query.json_value(value)


def datastore_search_sql(context: Context, data: dict) -> dict:
    """Run one read-only SQL SELECT over resources' rows.

    Tables are resource ids in double quotes::

        SELECT education_phase, count(*) FROM "<resource id>" GROUP BY 1

    Only resources the caller may see can be named, and of each only the rows and columns
    the caller may read (a grant's scope: the table has only those). The statement runs in a sandbox (one
    SELECT; no files, network, settings or system tables) for at most 5 seconds
    (``COMMONGROUND_SQL_TIMEOUT``) and returns at most 32000 rows and 50 MB of records
    (``COMMONGROUND_SQL_MAX_BYTES``; a larger result is refused: add a LIMIT or select fewer
    columns).

    :param sql: the SQL statement
    :type sql: string

    :returns: ``records``, ``fields`` (``[{"id", "type"}]``), ``records_truncated``, ``sql``
    :rtype: dictionary
    """
    sql = required_text(data, "sql")
    tables, scopes, reads = {}, {}, []
    for rid in sorted({m.lower() for m in _TABLE.findall(sql)}):
        resource = Resource.objects.select_related("dataset__organisation", "current_version"
                                                   ).filter(pk=rid).first()
        if resource is None or resource.current_version is None or not access.can_view(
                context.user, resource.dataset):
            continue  # the sandbox answers that there is no such table, hidden or missing
        rows = _reader(context, resource)
        tables[rid] = resource.current_version.parquet_path
        scopes[rid] = rows.scope
        reads.append((resource, rows))
    timeout = float(getattr(settings, "COMMONGROUND_SQL_TIMEOUT", 5))
    max_bytes = int(getattr(settings, "COMMONGROUND_SQL_MAX_BYTES", 50 << 20))
    try:
        with open_readonly_sql(sql, tables, timeout=timeout, max_rows=DATASTORE_ROWS_MAX,
                               scopes=scopes) as result:
            records = _encoded_records(result, max_bytes)
    except SQLTimeout:
        raise ValidationError({"query": ["Query took too long"]}) from None
    except SQLError as exc:
        raise ValidationError({"query": [str(exc)]}) from None
    for resource, rows in reads:
        readlog.record_read(resource.dataset, rows, user=context.user, channel="sql",
                            resource=resource, version=resource.current_version, detail=sql)
    return {
        "sql": sql,
        "records": records,
        "fields": [{"id": name, "type": _sql_type(kind)} for name, kind in result.columns],
        "records_truncated": result.truncated,
    }


def _encoded_records(result: SQLRows, max_bytes: int) -> EncodedJSON:
    """The result's rows as a JSON list of objects, encoded a batch at a time.

    Refused (a Validation Error) as soon as the encoding grows past ``max_bytes``: at most
    ``max_bytes`` plus one batch (~:data:`SQL_BATCH_BYTES`) is ever held.
    """
    names = [name for name, _ in result.columns]
    chunks = [b"["]
    size = 2  # the brackets
    batch_rows = 16  # the first batch measures the rows' width
    while rows := result.fetch(batch_rows):
        encoded = ENCODER.encode([{n: _json_safe(v) for n, v in zip(names, row, strict=True)}
                                  for row in rows])
        chunk = encoded[1:-1].encode()  # the rows without the list's brackets
        bytes_per_row = len(chunk) / len(rows)
        del rows, encoded
        size += len(chunk) + (2 if len(chunks) > 1 else 0)
        if size > max_bytes:
            raise ValidationError({"query": [
                f"the result is larger than {max_bytes / (1 << 20):g} MB: add a LIMIT or "
                "select fewer columns"]})
        if len(chunks) > 1:
            chunks.append(b", ")
        chunks.append(chunk)
        batch_rows = max(1, min(4096, int(SQL_BATCH_BYTES / bytes_per_row)))
    chunks.append(b"]")
    return EncodedJSON(chunks)
