"""Find projects: words, filters and facet counts. One function (``search``) serves the list
page, its JSON and CSV twins and the API.

Filters (query parameters, the same everywhere):

* ``q``: every word must occur in the title, the summary or a partner's name.
* ``theme``, ``technology``, ``status``, ``partner`` (a partner organisation's id): facets,
  combined with AND across facets and OR within one, as the catalogue's are.
* ``place``: one area of the city, by name or code (``places.names.check_places``). A project
  is there when its footprint (``footprints.footprint_geometry``: its areas, points, lines
  and boundaries as one geometry) reaches inside the area, more than
  ``footprint_lens.TOUCH_M`` in from its edge: the rule of the place page's projects
  section, so a ward's project is in each of its neighbourhoods, a neighbourhood's in its
  ward, and a neighbour sharing only an edge is not. A place described only in words is
  nowhere. **City-wide projects are in every place**, and say so.
* ``from`` and ``to``: years; a project is in the period when it ran in it, by the one rule
  the network shares (``periods.in_period``): an unknown end means the start year only
  unless the project is live (then to today); a project with no known start is left out,
  and the listing counts them (``undated_left_out``) so pages can say so.

Bad input (a status that is not one, a year that is not a year, a period that ends before it
starts, a partner or a place the register or the city does not have; a partner only
drafts the reader may not see name is one the register does not have) raises ``FilterError``
naming the parameter, and nothing is listed. A city of a few hundred projects at most: the
database narrows by visibility, words, status and partner; themes, technologies, places and
the period are checked over the matches in Python.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import shapely
from django.db.models import Prefetch, Q, QuerySet

from commonground.activity.inputs import FieldError
from commonground.places.cache import city_state
from commonground.places.names import PlaceError, check_places

from .access import visible_organisations, visible_projects
from .footprint_lens import TOUCH_M
from .footprints import area_geometry, footprint_geometry
from .models import Partnership, Project
from .periods import in_period

FACETS = ("theme", "technology", "status", "partner")
FACET_TITLES = {"theme": "Theme", "technology": "Technology", "status": "Status",
                "partner": "Partner"}
SORTS = {"title": "Title A–Z", "-start": "Newest first", "start": "Oldest first"}
#: Years a period may name: the register's projects start after 2000; a year outside this
#: range is a typing mistake, not a period.
FIRST_YEAR, LAST_YEAR = 1900, 2100


class FilterError(FieldError):
    """A filter that cannot be used; ``field`` is its query parameter."""


@dataclass
class Filters:
    """What a reader asked for, as typed (``search`` checks it)."""

    q: str = ""
    theme: list[str] = field(default_factory=list)
    technology: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    partner: list[str] = field(default_factory=list)
    place: str = ""
    start_year: str = ""  # the ``from`` parameter
    end_year: str = ""  # the ``to`` parameter
    sort: str = "title"

    @classmethod
    def from_query(cls, params) -> Filters:
        """From a ``QueryDict`` (or any mapping with ``getlist``)."""
        def many(name: str) -> list[str]:
            return [v.strip() for v in params.getlist(name) if v.strip()]

        return cls(q=params.get("q", "").strip(), theme=many("theme"),
                   technology=many("technology"), status=many("status"),
                   partner=many("partner"), place=params.get("place", "").strip(),
                   start_year=params.get("from", "").strip(),
                   end_year=params.get("to", "").strip(),
                   sort=params.get("sort", "title").strip() or "title")

    def facet_values(self, name: str) -> list[str]:
        return getattr(self, name)


@dataclass
class Listing:
    projects: list[Project]
    total: int
    facets: dict[str, list[dict]]
    place: dict | None = None  # {"geography", "code", "name"} when filtered by a place
    undated_left_out: int = 0  # matches left out by the period for having no known start


def search(user, filters: Filters) -> Listing:
    """The projects ``user`` may see that pass ``filters``, sorted, with facet counts."""
    period = _period(filters.start_year, filters.end_year)
    if filters.sort not in SORTS:
        raise FilterError("sort", f"Sort: “{filters.sort[:40]}” is not one of "
                                  f"{', '.join(SORTS)}")
    projects = _matching(user, filters)
    place = None
    if filters.place:
        place = _place(filters.place)
        projects = [p for p in projects if p.city_wide or _is_in(p, place)]
    themes, technologies = set(filters.theme), set(filters.technology)
    if themes:
        projects = [p for p in projects if themes.intersection(p.themes)]
    if technologies:
        projects = [p for p in projects if technologies.intersection(p.technologies)]
    undated = 0
    if period != (None, None):
        undated = sum(p.start_on is None for p in projects)
        projects = [p for p in projects
                    if in_period(p.start_on, p.end_on, live=p.status == Project.Status.LIVE,
                                 first_year=period[0], last_year=period[1])]
    projects = _sorted(projects, filters.sort)
    return Listing(projects=projects, total=len(projects), facets=_facets(projects),
                   place={k: place[k] for k in ("geography", "code", "name")} if place else None,
                   undated_left_out=undated)


def _matching(user, filters: Filters) -> list[Project]:
    statuses = [s for s in filters.status]
    for status in statuses:
        if status not in Project.Status.values:
            raise FilterError("status", f"Status: “{status[:40]}” is not one of "
                                        f"{', '.join(Project.Status.values)}")
    if filters.partner:
        known = set(visible_organisations(user).filter(slug__in=filters.partner)
                    .values_list("slug", flat=True))
        for slug in filters.partner:
            if slug not in known:
                raise FilterError("partner", f"Partner: “{slug[:60]}” is not an organisation "
                                             "in the register")
    projects: QuerySet[Project] = visible_projects(user)
    for word in filters.q.split():
        projects = projects.filter(Q(title__icontains=word) | Q(summary__icontains=word)
                                   | Q(partnerships__organisation__name__icontains=word))
    if statuses:
        projects = projects.filter(status__in=statuses)
    if filters.partner:
        projects = projects.filter(partnerships__organisation__slug__in=filters.partner)
    ids = projects.values("pk")
    return list(Project.objects.filter(pk__in=ids).select_related("owner").prefetch_related(
        Prefetch("partnerships", queryset=Partnership.objects.select_related("organisation")),
        "places"))


def _period(start_year: str, end_year: str) -> tuple[int | None, int | None]:
    """The years ``from``–``to``, checked (either may be open: None)."""
    years = {}
    for name, label, value in (("from", "Period from", start_year),
                               ("to", "Period to", end_year)):
        if not value:
            years[name] = None
            continue
        if not (value.isascii() and value.isdigit() and len(value) == 4):
            raise FilterError(name, f"{label}: “{value[:20]}” is not a year (e.g. 2016)")
        year = int(value)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise FilterError(name, f"{label}: give a year from {FIRST_YEAR} to {LAST_YEAR}")
        years[name] = year
    if years["from"] and years["to"] and years["from"] > years["to"]:
        raise FilterError("to", f"Period to: {years['to']} is before {years['from']}, "
                                "where the period starts")
    return years["from"], years["to"]


def _place(text: str) -> dict:
    """One area of the city (typed as a name or code), with its polygon (EPSG:27700) shrunk
    by ``TOUCH_M``: what a footprint must reach."""
    if "," in text:
        raise FilterError("place", "Place: give one place (a ward or area name or code)")
    try:
        code = check_places(text)[0]
    except PlaceError as exc:
        raise FilterError("place", str(exc).replace("Places:", "Place:", 1)) from exc
    state = city_state()
    geography = next(g for g in [*state.profiled, *state.by_geography]
                     if (g, code) in state.areas)
    polygon = area_geometry(code, state)
    inner = shapely.buffer(polygon, -TOUCH_M)
    return {"geography": geography, "code": code,
            "name": state.areas[(geography, code)].display_name,
            "inner": polygon if inner.is_empty else inner, "state": state}


def _is_in(project: Project, place: dict) -> bool:
    """Whether the project's footprint reaches inside ``place`` (this module's rule)."""
    geometry = footprint_geometry(project, place["state"])
    return geometry is not None and bool(shapely.intersects(place["inner"], geometry))


def _sorted(projects: list[Project], sort: str) -> list[Project]:
    by_title = sorted(projects, key=lambda p: p.title.casefold())
    if sort == "title":
        return by_title
    known = [p for p in by_title if p.start_on]
    unknown = [p for p in by_title if not p.start_on]  # unknown starts last either way
    return sorted(known, key=lambda p: p.start_on, reverse=sort == "-start") + unknown


def _facets(projects: list[Project]) -> dict[str, list[dict]]:
    counts = {name: Counter() for name in FACETS}
    titles: dict[tuple[str, str], str] = {}
    status_labels = dict(Project.Status.choices)
    for p in projects:
        counts["theme"].update(set(p.themes))
        counts["technology"].update(set(p.technologies))
        counts["status"][p.status] += 1
        titles[("status", p.status)] = status_labels.get(p.status, p.status)
        partners = {(s.organisation.slug, s.organisation.name) for s in p.partnerships.all()}
        for slug, name in partners:
            counts["partner"][slug] += 1
            titles[("partner", slug)] = name
    return {name: [{"name": value, "display_name": titles.get((name, value), words(value)),
                    "count": n}
                   for value, n in sorted(c.items(), key=lambda vn: (-vn[1], vn[0]))]
            for name, c in counts.items()}


def words(value: str) -> str:
    """A register term as words: ``citizen-engagement`` → "Citizen engagement"."""
    text = value.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
