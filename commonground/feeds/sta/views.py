"""OGC SensorThings API 1.1 at ``/sta/v1.1/``: one view reads the resource path
(``Things(1)/Datastreams``, ``Observations(5)/result/$value``), checks the query options,
and answers from the entity sets in ``entities``; POST, PATCH, PUT and DELETE go to
``writes`` (Observations) and ``creating`` (Things, Locations, Datastreams).

Readers see the feeds ``access.visible_feeds`` gives them, plus a private published feed
whose valid **read** key they send (``Authorization: Bearer <key>`` or ``X-API-Key``). A
write key reads what anyone reads. Errors are JSON ``{"code", "type": "error", "message"}``
naming the option or the path segment that is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .. import access, keys
from ..models import Feed, FeedKey
from . import options as opts
from .entities import SETS, EntitySet
from .filters import QueryError, parse_filter

SEGMENT = re.compile(r"^(?P<name>[A-Za-z$]+)(?:\((?P<id>[^)]*)\))?$")
ROOT_PATH = "/sta/v1.1/"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
]


#: The most entities one answer holds, counting those inside $expand.
MAX_ENTITIES = 20_000


class Budget:
    """Entities an answer may still hold; running out is a 400 naming $top and $expand."""

    def __init__(self):
        self.left = MAX_ENTITIES

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise QueryError(f"the answer would hold more than {MAX_ENTITIES:,} entities: "
                             "lower $top, here or inside $expand")


class StaError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"code": status, "type": "error", "message": message},
                            status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="feeds"'
    return response


def root_url(request) -> str:
    return request.build_absolute_uri(ROOT_PATH)


def secret_of(request) -> str | None:
    """The key a client sent: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    return request.headers.get("X-API-Key", "").strip() or None


def readable_feed_ids(request) -> list[int]:
    """The feeds this request reads: ``access.visible_feeds`` and a read key's own feed."""
    ids = list(access.visible_feeds(request.user).values_list("pk", flat=True))
    secret = secret_of(request)
    if secret is None:
        return ids
    key = keys.find(secret)
    if key is None:
        raise StaError(401, "unknown key: send a key of this hub as 'Authorization: Bearer "
                            "<key>', or none to read public feeds")
    if key.scope == FeedKey.Scope.READ:
        problem = keys.problem(key, key.feed, FeedKey.Scope.READ)
        if problem:
            raise StaError(403, problem)
        if key.feed.state == Feed.State.PUBLISHED:
            keys.touch(key)
            ids.append(key.feed_id)
    return ids


@dataclass
class Resource:
    """Where a path leads: a set's rows (``many``) or one entity, maybe one property."""

    entity_set: EntitySet
    rows: QuerySet
    many: bool
    prop: str | None = None
    raw: bool = False  # $value
    self_path: str = ""


def _start(segment: str, feed_ids) -> Resource:
    match = SEGMENT.match(segment)
    if not match or match["name"] not in SETS:
        raise StaError(404, f"no entity set {segment!r} (use {', '.join(SETS)})")
    entity_set = SETS[match["name"]]
    rows = entity_set.rows(feed_ids)
    if match["id"] is None:
        return Resource(entity_set, rows, True, self_path=entity_set.name)
    if not opts.DIGITS.fullmatch(match["id"]):
        raise StaError(400, f"{segment}: an @iot.id is a whole number, not {match['id']!r}")
    return Resource(entity_set, rows.filter(pk=int(match["id"])), False,
                    self_path=f"{entity_set.name}({match['id']})")


def _one(resource: Resource) -> Model:
    row = resource.rows.first()
    if row is None:
        raise StaError(404, f"no {resource.self_path} here (or you may not read it)")
    return row


def _step(resource: Resource, segment: str, feed_ids) -> Resource:
    if resource.prop is not None:
        if segment != "$value" or resource.raw:
            raise StaError(404, f"{resource.self_path}: only $value follows a property")
        resource.raw = True
        return resource
    if resource.many:
        raise StaError(400, f"{resource.self_path}/{segment}: pick one entity by its id "
                            f"first, e.g. {resource.entity_set.name}(1)/{segment}")
    nav = resource.entity_set.navs.get(segment)
    if nav is not None:
        row = _one(resource)
        target = SETS[nav.target]
        return Resource(target, target.rows(feed_ids).filter(nav.related(row)), nav.many,
                        self_path=f"{resource.self_path}/{segment}")
    if segment in resource.entity_set.props or segment in _rendered_names(resource):
        resource.prop = segment
        return resource
    raise StaError(404, f"{resource.entity_set.name} has no property or navigation "
                        f"{segment!r}")


def _rendered_names(resource: Resource) -> set[str]:
    row = _one(resource)
    return set(resource.entity_set.render(row, ""))


def resolve(path: str, feed_ids) -> Resource:
    segments = [segment for segment in path.split("/") if segment]
    resource = _start(segments[0], feed_ids)
    for segment in segments[1:]:
        resource = _step(resource, segment, feed_ids)
    return resource


# Reading -----------------------------------------------------------------------------------

def check(entity_set: EntitySet, options: opts.Options) -> None:
    """Every name in the options is the set's own (before any row is read); ``$filter``
    is parsed here (``options.q``)."""
    names = set(entity_set.props) | set(entity_set.navs) | {"@iot.id", "@iot.selfLink"}
    names |= set(_property_names(entity_set))
    for name in options.select or []:
        if name not in names:
            raise QueryError(f"$select: {entity_set.name} has no property {name!r}")
    for name, _ in options.orderby:
        if name not in entity_set.props:
            raise QueryError(f"$orderby: cannot order {entity_set.name} by {name!r} (use "
                             f"{', '.join(sorted(entity_set.props))})")
    options.q = parse_filter(options.filter, entity_set.props) \
        if options.filter is not None else None
    if options.data_array and entity_set.name != "Observations":
        raise QueryError("$resultFormat=dataArray is for Observations only")
    for item in options.expand:
        nav = entity_set.navs.get(item.nav)
        if nav is None:
            raise QueryError(f"$expand: {entity_set.name} has no navigation property "
                             f"{item.nav!r} (use {', '.join(entity_set.navs)})")
        check(SETS[nav.target], item.options)


_NAMES = {
    "Things": ["name", "description", "properties"],
    "Locations": ["name", "description", "encodingType", "location"],
    "HistoricalLocations": ["time"],
    "Datastreams": ["name", "description", "unitOfMeasurement", "observationType",
                    "properties"],
    "Sensors": ["name", "description", "encodingType", "metadata"],
    "ObservedProperties": ["name", "definition", "description"],
    "Observations": ["phenomenonTime", "resultTime", "result"],
    "FeaturesOfInterest": ["name", "description", "encodingType", "feature"],
}


def _property_names(entity_set: EntitySet) -> list[str]:
    return _NAMES[entity_set.name]


@dataclass
class Page:
    rows: list
    count: int | None
    more: bool


def page(entity_set: EntitySet, rows: QuerySet, options: opts.Options) -> Page:
    if options.q is not None:
        rows = rows.filter(options.q)
    order = [("-" if desc else "") + entity_set.props[name].field
             for name, desc in options.orderby]
    rows = rows.order_by(*order, "pk")
    count = rows.count() if options.count else None
    found = list(rows[options.skip:options.skip + options.top + 1])
    return Page(found[:options.top], count, len(found) > options.top)


def entity(entity_set: EntitySet, row: Model, options: opts.Options, root: str,
           feed_ids, budget: Budget | None = None) -> dict:
    budget = budget or Budget()
    budget.spend()
    link = f"{root}{entity_set.name}({row.pk})"
    body: dict = {"@iot.id": row.pk, "@iot.selfLink": link}
    body.update(entity_set.render(row, root))
    for name in entity_set.navs:
        body[f"{name}@iot.navigationLink"] = f"{link}/{name}"
    if options.select is not None:
        wanted = {"@iot.id" if name == "id" else name for name in options.select}
        body = {key: value for key, value in body.items()
                if key in wanted or key.removesuffix("@iot.navigationLink") in wanted}
    for item in options.expand:
        nav = entity_set.navs[item.nav]
        target = SETS[nav.target]
        related = target.rows(feed_ids).filter(nav.related(row))
        if not nav.many:
            found = related.first()
            body[item.nav] = entity(target, found, item.options, root, feed_ids, budget) \
                if found is not None else None
            continue
        result = page(target, related, item.options)
        body[item.nav] = [entity(target, r, item.options, root, feed_ids, budget)
                          for r in result.rows]
        if result.count is not None:
            body[f"{item.nav}@iot.count"] = result.count
        if result.more:
            body[f"{item.nav}@iot.nextLink"] = f"{link}/{item.nav}?" + urlencode(
                {"$top": item.options.top, "$skip": item.options.skip + item.options.top})
    return body


def data_array(rows: list, options: opts.Options, root: str) -> list[dict]:
    """Observations as the DataArray extension's groups, one per datastream."""
    components = [name for name in (options.select or
                  ["id", "phenomenonTime", "resultTime", "result"])
                  if name in ("id", "phenomenonTime", "resultTime", "result")]
    groups: dict[int, dict] = {}
    for row in rows:
        group = groups.setdefault(row.datastream_id, {
            "Datastream@iot.navigationLink": f"{root}Datastreams({row.datastream_id})",
            "components": components, "dataArray@iot.count": 0, "dataArray": []})
        values = SETS["Observations"].render(row, root) | {"id": row.pk}
        group["dataArray"].append([values[name] for name in components])
        group["dataArray@iot.count"] += 1
    return list(groups.values())


def collection(request, resource: Resource, options: opts.Options, root: str,
               feed_ids) -> dict:
    result = page(resource.entity_set, resource.rows, options)
    body: dict = {}
    if result.count is not None:
        body["@iot.count"] = result.count
    if result.more:
        query = request.GET.copy()
        query["$skip"] = str(options.skip + options.top)
        query["$top"] = str(options.top)
        body["@iot.nextLink"] = f"{root}{resource.self_path}?{query.urlencode(safe='$/')}"
    if options.data_array:
        body["value"] = data_array(result.rows, options, root)
    else:
        budget = Budget()
        body["value"] = [entity(resource.entity_set, row, options, root, feed_ids, budget)
                         for row in result.rows]
    return body


def service_root(request) -> JsonResponse:
    root = root_url(request)
    return JsonResponse({
        "value": [{"name": name, "url": f"{root}{name}"} for name in SETS],
        "serverSettings": {"conformance": CONFORMANCE}})


def read(request, path: str) -> HttpResponse:
    feed_ids = readable_feed_ids(request)
    resource = resolve(path, feed_ids)
    options = opts.parse(request.GET)
    check(resource.entity_set, options)
    root = root_url(request)
    if resource.many:
        return JsonResponse(collection(request, resource, options, root, feed_ids))
    row = _one(resource)
    if resource.prop is None:
        return JsonResponse(entity(resource.entity_set, row, options, root, feed_ids))
    rendered = entity(resource.entity_set, row, opts.Options(), root, feed_ids)
    value = rendered["@iot.id" if resource.prop == "id" else resource.prop]
    if resource.raw:
        text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return JsonResponse({resource.prop: value})


@csrf_exempt
def sensorthings(request, path: str = "") -> HttpResponse:
    """Every request under ``/sta/v1.1/``."""
    try:
        if request.method == "GET":
            return service_root(request) if not path.strip("/") else read(request, path)
        from . import writes

        if request.method == "POST":
            return writes.create(request, path)
        if request.method == "PATCH":
            return writes.patch(request, path)
        if request.method in ("PUT", "DELETE"):
            return writes.refuse(request, path)
        return error(405, f"{request.method} is not supported here (GET, POST and PATCH "
                          "are)")
    except QueryError as problem:
        return error(400, str(problem))
    except StaError as problem:
        return error(problem.status, str(problem))
