"""Pushing observations (django-ninja, mounted at ``/api/feeds``): devices and suppliers'
systems send JSON (one observation or a batch) or a CSV (back-fill) with a feed's **write**
key in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

* 404: no such feed. 401: no key, or a key we do not know. 403: a key that is revoked,
  expired, of another feed, or a read key. Nothing is written on any of them.
* 413: a body over ``COMMONGROUND_FEED_PUSH_MAX_BYTES`` (default 32 MB), refused from its
  ``Content-Length`` before reading, and by counting while reading.
* 400: a body that is not JSON or CSV of the documented shape, or rows ``writing`` refuses:
  ``detail`` and ``problems`` name each row (JSON: ``index`` from 0; CSV: ``line``) and field,
  and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from commonground.apierrors import errors

from . import keys, writing
from .models import Feed, FeedKey

router = Router(tags=["feeds"])

#: Largest push accepted (bytes); the setting of the same name overrides it.
DEFAULT_MAX_BYTES = 32 << 20
READ_CHUNK = 64 << 10
CSV_COLUMNS = ["thing", "datastream", "time", "value"]

OBSERVATION = {"type": "object", "required": ["thing", "datastream", "time", "value"],
               "properties": {
                   "thing": {"type": "string", "description": "The thing's key in the feed"},
                   "datastream": {"type": "string", "description": "The datastream's key"},
                   "time": {"type": "string", "format": "date-time",
                            "description": "ISO 8601 with a zone (Z or an offset)"},
                   "value": {"description": "A number for numeric streams"}}}
KEY_HEADERS = [
    {"in": "header", "name": "Authorization", "required": False, "schema": {"type": "string"},
     "description": "Bearer <write key>"},
    {"in": "header", "name": "X-API-Key", "required": False, "schema": {"type": "string"},
     "description": "The write key (instead of Authorization)"}]
PUSH_ERRORS = errors(400, 401, 403, 404, 413, 422)["responses"]


class PushResult(Schema):
    received: int = Field(description="Observations in the request")
    added: int = Field(description="Stored for the first time")
    unchanged: int = Field(description="Already stored with the same value")
    replaced: int = Field(description="Stored values changed (replace=true)")
    skipped: int | None = Field(None, description=(
        "Only when some were: observations older than the stream's retention, not stored "
        "(their raw observations are gone, so they cannot be told apart from ones already "
        "counted); a request of nothing but such observations is refused"))
    skipped_rows: list[dict] | None = Field(None, description=(
        "The first 100 skipped observations: index, field (time) and message"))


class PushParams(Schema):
    replace: bool = Field(False, description="Change stored values that differ (otherwise "
                                             "a different value for a stored instant is an "
                                             "error)")


class Refused(Exception):
    def __init__(self, status: int, detail: str, **more):
        super().__init__(detail)
        self.status, self.detail, self.more = status, detail, more

    def response(self) -> JsonResponse:
        response = JsonResponse({"detail": self.detail, **self.more}, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="feeds"'
        return response


def _secret(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("X-API-Key", "").strip() or None


def _write_key(request, feed: Feed) -> FeedKey:
    secret = _secret(request)
    if not secret:
        raise Refused(401, "Send the feed's write key as 'Authorization: Bearer <key>' or "
                           "'X-API-Key: <key>'.")
    key = keys.find(secret)
    if key is None:
        raise Refused(401, "Unknown key: check it was copied whole, or make a new one on the "
                           "feed's keys page.")
    problem = keys.problem(key, feed, FeedKey.Scope.WRITE)
    if problem is not None:
        raise Refused(403, f"This key cannot write to this feed: {problem}.")
    return key


def max_bytes() -> int:
    return int(getattr(settings, "COMMONGROUND_FEED_PUSH_MAX_BYTES", DEFAULT_MAX_BYTES))


def read_body(request) -> bytes:
    """The request's body, refused (413) past ``max_bytes()`` by its declared length before
    anything is read, and by counting while it is read."""
    limit = max_bytes()
    too_big = f"The body is over the {limit:,} bytes a push may hold: send smaller batches."
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, "Content-Length is not a number.") from None
    if declared > limit:
        raise Refused(413, too_big)
    parts, total = [], 0
    while chunk := request.read(READ_CHUNK):
        total += len(chunk)
        if total > limit:
            raise Refused(413, too_big)
        parts.append(chunk)
    return b"".join(parts)


def _json_rows(body: bytes) -> list[tuple]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(400, f"The body is not JSON: {exc}.") from None
    if isinstance(document, dict) and "observations" in document:
        items = document["observations"]
        if not isinstance(items, list):
            raise Refused(400, "observations must be a list of observations.")
    elif isinstance(document, dict):
        items = [document]  # one observation
    else:
        raise Refused(400, "Send one observation {thing, datastream, time, value} or "
                           "{\"observations\": [...]}.")
    rows, problems = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(writing.Problem(index, "observation", "must be an object"))
            continue
        missing = [name for name in CSV_COLUMNS if name not in item]
        for name in missing:
            problems.append(writing.Problem(index, name, "is missing"))
        rows.append(tuple(item.get(name) for name in CSV_COLUMNS))
    if problems:
        raise _refused_rows(writing.WriteError(problems))
    return rows


def _csv_rows(body: bytes) -> tuple[list[tuple], list[int]]:
    """The rows and the line each starts on (the header is line 1)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"The CSV is not UTF-8 (byte {exc.start}).") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        raise Refused(400, f"The CSV's header lacks {', '.join(missing)}: it needs "
                           f"{','.join(CSV_COLUMNS)}.")
    where = [header.index(name) for name in CSV_COLUMNS]
    rows, lines = [], []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append(tuple(cells[i] if i < len(cells) else None for i in where))
            lines.append(line)
        line = reader.line_num + 1
    return rows, lines


def _refused_rows(exc: writing.WriteError, *, lines: list[int] | None = None) -> Refused:
    def one(problem):
        found = problem.as_dict()
        if lines is not None:
            found["line"] = lines[problem.index]
        return found
    found = [one(p) for p in exc.problems]
    named = [(f"line {p['line']}" if "line" in p else f"observation {p['index']}") +
             f", {p['field']}: {p['message']}" for p in found[:5]]
    more = f" (and {exc.total - len(named)} more)" if exc.total > len(named) else ""
    return Refused(400, "Nothing was written: " + "; ".join(named) + more,
                   problems=found, total=exc.total)


def _push(request, slug: str, replace: bool, parse):
    feed = get_object_or_404(Feed, slug=slug)
    try:
        key = _write_key(request, feed)
        body = read_body(request)
        rows, lines = parse(body)
        try:
            result = writing.write_observations(feed, rows, replace=replace)
        except writing.WriteError as exc:
            raise _refused_rows(exc, lines=lines) from None
    except Refused as refused:
        return refused.response()
    keys.touch(key)
    return result.as_dict()


@router.post("/{feed}/observations", response=PushResult, url_name="feeds_push",
             exclude_none=True,
             openapi_extra={"parameters": KEY_HEADERS, "responses": PUSH_ERRORS,
                            "requestBody": {"required": True, "content": {"application/json": {
                                "schema": {"oneOf": [OBSERVATION, {
                                    "type": "object", "required": ["observations"],
                                    "properties": {"observations": {
                                        "type": "array", "items": OBSERVATION}}}]}}}}},
             summary="Push one observation or a batch to a feed (its write key)")
def push_json(request, feed: str, params: Query[PushParams]):
    """All or nothing: one bad observation writes none, and ``problems`` name each by its
    ``index`` (from 0) and field. The same observation again is ``unchanged``."""
    return _push(request, feed, params.replace, lambda body: (_json_rows(body), None))


@router.post("/{feed}/observations.csv", response=PushResult, url_name="feeds_push_csv",
             exclude_none=True,
             openapi_extra={"parameters": KEY_HEADERS, "responses": PUSH_ERRORS,
                            "requestBody": {"required": True, "content": {"text/csv": {
                                "schema": {"type": "string"}}}}},
             summary="Back-fill a feed from CSV: thing,datastream,time,value")
def push_csv(request, feed: str, params: Query[PushParams]):
    """A CSV with the header ``thing,datastream,time,value`` (other columns ignored), UTF-8.
    All or nothing; ``problems`` name each bad row by its ``line`` (the header is line 1)."""
    return _push(request, feed, params.replace, _csv_rows)
