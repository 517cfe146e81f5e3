"""Use case: the difference lens of a dataset — who lives where its rows land.

``lens_city`` turns the loaded places (``places.cache.CityState``) into the lens's plain
arrays once per load; ``dataset_lens`` reads a version's measure and runs the pure lens
(``commonground.lens``). Both are kept in the load's memo (``CityState.derived``), results
the newest 32 per (version, measure, options, authority), because the page, its exports and
the API ask for the same numbers.

In a package of several authorities the lens also runs for one of them (``authority=``): the
package's city cut to that authority's neighbourhoods (``lens.subset``), with deciles "within
the city" cut again within the authority; the whole package stays the default.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import numpy as np
from django.conf import settings

from commonground.lens import deprivation as deprivation_groups
from commonground.lens import filters as lens_filters
from commonground.lens.compute import LensOptions, MeasureNotAllowed, run_lens
from commonground.lens.filters import FilterError
from commonground.lens.inputs import City, CoarseTable, GroupTable, Measure
from commonground.lens.measure import MeasureError, column_types, read_measure
from commonground.lens.people import population_points
from commonground.lens.subset import subset_city
from commonground.places import authorities as places_authorities
from commonground.places.cache import AreaRecord, CityState, city_state

from ..models import Dataset, Resource, Version

_MAX_RESULTS = 32  # lens results kept per load, the newest ...
#: ... and at most this many base areas' worth of them: a result's per-area rows cost about
#: 7 KB an area (England's 33,755 LSOAs: about 250 MB), so a process keeps 32 of a city's
#: results but one of a country's.
_KEPT_AREAS = 60_000


#: The lens of a dataset about people whose disclosure decision is still being made.
BEING_CHECKED = ("The counts of {title} are being checked: deciding which of them are safe to "
                 "show takes a while for this many areas, so it runs in the background, once for "
                 "this version. Until it is done nothing of them is shown; try again in a few "
                 "minutes.")


def results_kept(base_areas: int) -> int:
    """How many lens results a process keeps for a load of ``base_areas`` base areas."""
    return max(1, min(_MAX_RESULTS, _KEPT_AREAS // max(base_areas, 1)))


class LensError(ValueError):
    """The lens cannot be drawn for this dataset as asked (said in plain words);
    ``row_filter``: the row filter at fault, as written, when one is."""

    def __init__(self, message: str, *, row_filter: str | None = None):
        self.row_filter = row_filter
        super().__init__(message)


def lens_city(state: CityState | None = None, authority: str | None = None) -> City:
    """The lens's view of the loaded city (built once per load, by one thread); with
    ``authority`` (a code from ``authority_scope``), of that authority of the package only."""
    state = state or city_state()
    if authority is not None:
        return state.derived("lens city", partial(_authority_city, state, authority), key=authority)
    return state.derived("lens city", partial(_build_city, state))


def authority_scope(state: CityState, code: str | None) -> AreaRecord | None:
    """The authority ``code`` asks the lens to cover: one of the package's authorities (an
    ``AreaRecord``), or None for the whole package (no code, or the package's own code: a
    single authority's package, the wider area a package names). Any other code is a
    ``LensError`` naming it and saying which codes the package holds."""
    code = (code or "").strip()
    if not code:
        return None
    held = places_authorities.authorities(state)
    if len(held) >= 2:
        found = next((a for a in held if a.code == code), None)
        if found is not None:
            return found
    own = list(state.run.authority_codes or [state.run.lad_code])
    if code in own:
        return None
    choices = [f"{a.code} {a.name}" for a in held] if len(held) >= 2 else own
    listed = "; ".join(choices[:12]) + (f"; … ({len(choices)} in all)" if len(choices) > 12 else "")
    raise LensError(f"unknown authority {code!r}: {state.run.city_name} holds {listed}")


def covers(state: CityState, authority: AreaRecord) -> dict:
    """What an authority's lens covers, in a sentence, and the package it is compared with."""
    held = places_authorities.authorities(state)
    package = state.run.city_name
    return {"code": authority.code, "name": authority.name,
            "package": {"name": package, "authorities": len(held)},
            "sentence": f"{authority.name}, one of the {len(held)} authorities of {package}"}


def _authority_city(state: CityState, code: str) -> City:
    """The package's lens city cut to the base areas of authority ``code``, its deciles
    within the city cut again on the authority's own areas."""
    held = places_authorities.authorities(state)
    i = next(j for j, a in enumerate(held) if a.code == code)
    keep = places_authorities.authority_positions(state) == i
    return subset_city(lens_city(state), keep, name=held[i].name,
                       deprivation=tuple(_editions(state, within=keep)))


def _build_city(state: CityState) -> City:
    base = state.base_areas
    pop_key = state.run.population_indicator
    pop_ind = state.indicators.get(pop_key)
    population_source = (f"{pop_ind.source.title} ({pop_ind.source.vintage})" if pop_ind
                         else "unknown: each neighbourhood counted once")
    return City(
        name=state.run.city_name, base_geography=state.base,
        area_codes=tuple(a.code for a in base), area_names=tuple(a.display_name for a in base),
        population=np.nan_to_num(state.population), population_source=population_source,
        geometries=state.geometries(state.base), deprivation=tuple(_editions(state)),
        groups=tuple(_group_tables(state)), people=_people(state),
        published_areas=tuple(_published_areas(state)), coarse=tuple(coarse_tables(state)))


def _published_areas(state: CityState) -> list[tuple[str, str, np.ndarray]]:
    """Each larger area (MSOA, ward, 2011 areas, the city) as the base areas it counts."""
    out = []
    for geography in state.profiled:
        if geography == state.base:
            continue
        parent = state.parents(geography)  # each base area's best fit
        # base areas grouped by parent in one sort (not one scan of every base area per area)
        order = np.argsort(parent, kind="stable")
        bounds = np.searchsorted(parent[order], np.arange(len(state.by_geography[geography]) + 1))
        for i, area in enumerate(state.by_geography[geography]):
            out.append((geography, area.code, order[bounds[i]:bounds[i + 1]]))
    return out


def _editions(state: CityState, within: np.ndarray | None = None) -> list:
    """Every Index of Multiple Deprivation edition with national deciles and ranks; with
    ``within`` (a mask over the base areas), deciles within the city cut on the edition's
    own areas that those base areas lie in (figures of other areas left out, NaN)."""
    out = []
    for ind in state.indicators.values():
        source = ind.source
        if source.role != "deprivation" or ind.column != "imd_decile":
            continue
        rank_key = f"{source.name}.imd_rank"
        if rank_key not in state.indicators:
            continue
        geography = source.geography
        parent, merged = None, 0
        own_decile, own_rank = state.column(ind.key), state.column(rank_key)
        if geography != state.base:
            P = state.members(geography)  # (edition areas × base areas), sparse
            parent = state.parents(geography)
            several = np.bincount(P.indices[P.data > 0], minlength=P.shape[1]) > 1
            merged = int(several.sum() if within is None else several[within].sum())
        if within is not None:
            own = within
            if parent is not None:
                own = np.zeros(len(own_decile), dtype=bool)
                own[parent[within & (parent >= 0)]] = True
                parent = np.where(within, parent, -1)
            own_decile, own_rank = np.where(own, own_decile, np.nan), np.where(own, own_rank, np.nan)
        year = _year(source)
        out.append(deprivation_groups.edition(
            key=source.name, title=source.title, year=year, geography=geography,
            own_decile=own_decile, own_rank=own_rank, parent=parent, merged=merged))
    return sorted(out, key=lambda d: d.year or 0, reverse=True)


def _year(source) -> int | None:
    from commonground.geography.manifest import edition_year
    return edition_year(source.name, source.vintage)


def _group_tables(state: CityState) -> list[GroupTable]:
    """Census tables on the base geography: groups of residents or households per area."""
    return census_tables(state, state.base)


def coarse_tables(state: CityState) -> list[CoarseTable]:
    """Census tables published only for areas larger than the base ones (the manifest's
    ``role`` census on another ``geography``: sexual orientation by MSOA), kept on those
    areas with each base area's best-fit larger area: compared there, never shared out."""
    out = []
    for geography in state.profiled:
        if geography == state.base:
            continue
        tables = census_tables(state, geography)
        if not tables:
            continue
        areas = state.by_geography[geography]
        codes = tuple(a.code for a in areas)
        names = tuple(a.display_name for a in areas)
        parent = state.parents(geography)
        out += [CoarseTable(geography=geography, table=t, parent=parent, codes=codes,
                            names=names) for t in tables]
    return out


def census_tables(state: CityState, geography: str) -> list[GroupTable]:
    """Census tables published on ``geography``, as groups of residents or households per
    area (rows in ``state.by_geography[geography]`` order): the lens's city takes those on
    the base geography as its groups, those on larger areas (MSOAs) as ``coarse_tables``."""
    keys, matrix, _ = state.values(geography)
    col = {k: j for j, k in enumerate(keys)}
    tables: dict[str, dict] = {}
    for ind in sorted(state.indicators.values(), key=lambda i: (i.source.name, i.order)):
        if ind.source.role != "census" or ind.source.geography != geography:
            continue
        entry = tables.setdefault(ind.source.name, {"source": ind.source, "total": None,
                                                    "groups": []})
        if ind.kind == "total":
            entry["total"] = ind
        elif ind.kind == "count" and ind.denominator_id:
            entry["groups"].append(ind)
    out = []
    for name, entry in tables.items():
        total, groups = entry["total"], entry["groups"]
        if total is None or not groups:
            continue
        source = entry["source"]
        out.append(GroupTable(
            key=name, title=source.title, universe=total.unit,
            labels=tuple(g.label for g in groups),
            counts=np.nan_to_num(matrix[:, [col[g.key] for g in groups]]),
            totals=np.nan_to_num(matrix[:, col[total.key]]), period=str(source.vintage)))
    return out


def _people(state: CityState):
    """Output-area points when the city has a geography finer than the base one."""
    base_xy = np.array([(a.easting, a.northing) for a in state.base_areas])
    finer = [g for g, areas in state.by_geography.items() if len(areas) > len(state.base_areas)]
    if not finer:
        return population_points(base_xy)
    fine = max(finer, key=lambda g: len(state.by_geography[g]))
    fine_xy = np.array([(a.easting, a.northing) for a in state.by_geography[fine]])
    where = state.index(state.base).locate(fine_xy[:, 0], fine_xy[:, 1])
    return population_points(base_xy, fine_xy, where, fine_label=f"{fine.upper()} output area")


# ------------------------------------------------------------------------------ datasets

def lens_resources(dataset: Dataset) -> list[Resource]:
    """The dataset's resources whose current version has rows linked to places."""
    out = []
    for resource in dataset.resources.select_related("current_version").order_by("position",
                                                                                   "created"):
        version = resource.current_version
        if version is not None and version.linked_rows:
            out.append(resource)
    return out


def choose(dataset: Dataset, *, resource: str | None = None, measure: str = "count",
           column: str | None = None) -> tuple[Resource, Version]:
    """The resource and live version the lens reads, checked; ``LensError`` says what is wrong."""
    resources = lens_resources(dataset)
    if not resources:
        raise LensError(f"{dataset.title} has no rows linked to places, so it has no lens")
    chosen = resources[0]
    if resource:
        chosen = next((r for r in resources if resource in (str(r.id), r.name)), None)
        if chosen is None:
            names = "; ".join(r.name for r in resources)
            raise LensError(f"no resource {resource!r} with rows linked to places; choose: {names}")
    version = chosen.current_version
    if measure not in ("count", "weight", "value"):
        raise LensError("measure must be count, weight or value")
    if dataset.records_withheld and measure != "count":
        what = "holds records about people" if dataset.about_people else "is restricted"
        raise LensError(f"this dataset {what}, so the lens shows only counts of rows: a sum "
                        "or a value per area could reveal one person's figures")
    if measure != "count" and column in dataset.withheld_columns:
        raise LensError(f"column {column!r} is restricted, so the lens cannot add it up")
    numeric = numeric_columns(version)
    if measure != "count" and column not in numeric:
        raise LensError(f"a {measure} measure needs a numeric column; this file has: "
                        f"{', '.join(numeric) or 'none'}")
    return chosen, version


def numeric_columns(version: Version) -> list[str]:
    return [c["name"] for c in version.schema if c.get("type") in ("integer", "number")]


def measure_names(dataset: Dataset, numeric: list[str]) -> dict:
    """The words of the page's measure menu, as the editor names things: the rows
    (``row_singular``/``row_plural``, else "row"/"rows") and each number column as
    (column, label) — "connectors (n_connectors)" when ``column_names`` names it, else the
    column as it is."""
    try:
        names = parse_column_names(dataset.column_names)
    except ValueError:  # refused by the edit form; an older value is shown as the columns are
        names = {}
    return {"singular": dataset.row_singular.strip() or "row",
            "plural": dataset.row_plural.strip() or "rows",
            "columns": [(c, f"{names[c][1]} ({c})" if c in names else c) for c in numeric]}


def options_for(dataset: Dataset, **choices) -> LensOptions:
    threshold = (settings.COMMONGROUND_DISCLOSURE_THRESHOLD if dataset.records_withheld
                 else None)
    return replace(LensOptions(threshold=threshold), **choices)


def dataset_lens(dataset: Dataset, version: Version, *, measure: str = "count",
                 column: str | None = None, options: LensOptions | None = None,
                 filters: tuple[str, ...] = (), authority: str | None = None) -> dict:
    """The lens of one version of a dataset, as one JSON-ready dictionary.

    ``filters``: row filters asked for (``lens.filters`` syntax), applied with the dataset's
    own (``Dataset.lens_filters``); ``result["measure"]["filters"]`` says every one used.
    ``authority``: a code of one of the package's authorities, to cover it alone
    (``result["authority"]`` says which); None, or the package's own code, the whole package.
    A dataset under disclosure control has the whole package's lens only: one decision hides
    its small counts across every view (``lens.privacy``), and an authority's deprivation
    groups would be new totals outside it, to be set against the package's."""
    options = options or options_for(dataset)
    state = city_state()
    scope = authority_scope(state, authority)
    if scope is not None and options.threshold is not None:
        raise LensError(f"{dataset.title} is shown with small counts hidden, so its lens covers "
                        f"the whole of {state.run.city_name} only, not {scope.name} alone: totals "
                        "within one authority, set against the whole package's, could reveal a "
                        "hidden count")
    city = lens_city(state, scope.code if scope else None)
    options = _edition_by_key(options, city)
    own = dataset_filters(dataset)
    asked = tuple(t.strip() for t in filters if t and t.strip())
    _refuse_withheld_filters(dataset, asked)
    # versions are immutable: their file and checksum name them (ids can be reused after a
    # rollback); the names, filters and dates come from the dataset, which can change
    key = (str(version.parquet_path), version.sha256, dataset.title, measure,
           column, options, own, asked, dataset.row_singular, dataset.row_plural,
           dataset.column_names, dataset.site_column, dataset.nature, dataset.data_as_of,
           scope.code if scope else None)
    result = state.derived("lens result", partial(_lens, dataset, version, city, measure, column,
                                                  options, own, asked),
                           key=key, keep=results_kept(len(city.area_codes)))
    if scope is None:
        return result
    return {**result, "authority": covers(state, scope)}


def _edition_by_key(options: LensOptions, city: City) -> LensOptions:
    """The options with the deprivation edition named by its key, however it was asked for
    (None for the newest, its key or its year): the page's form sends the newest edition's
    key back with every choice, and that must find the lens already computed, not work it out
    again. An unknown edition is left as asked, for the lens to refuse by name."""
    if not city.deprivation:
        return options
    try:
        return replace(options, edition=city.edition(options.edition).key)
    except LookupError:
        return options


def _lens(dataset: Dataset, version: Version, city: City, measure: str, column: str | None,
          options: LensOptions, own: tuple[str, ...], asked: tuple[str, ...]) -> dict:
    try:
        m = _read(dataset, version, city, measure, column, own + asked)
        suppression = None
        if options.threshold is not None:  # stored, or made in the background when large
            from .disclosure import decision

            suppression = decision(city, m.per_area, options.threshold)
            if suppression.pending:  # raised, so not kept: the next request asks again
                raise LensError(BEING_CHECKED.format(title=dataset.title))
        result = run_lens(city, m, options, suppression=suppression)
    except FilterError as exc:
        raise LensError(str(exc), row_filter=exc.text) from exc
    except (MeasureError, MeasureNotAllowed, LookupError) as exc:
        raise LensError(str(exc)) from exc
    result["dataset"] = {"name": dataset.name, "title": dataset.title,
                         "organisation": dataset.organisation.name if dataset.organisation_id
                         else None, "about_people": dataset.about_people,
                         "access": dataset.access, "records_withheld": dataset.records_withheld,
                         "resource": str(version.resource_id), "resource_name":
                         version.resource.name, "version": version.number,
                         "sha256": version.sha256, "created": version.created.isoformat(),
                         "filters": {"dataset": list(own), "asked": list(asked)}}
    return result


def _refuse_withheld_filters(dataset: Dataset, asked: tuple[str, ...]) -> None:
    """A row filter asked for may not name a restricted column: counts of the rows with a
    given address or postcode would tell the column's values (the dataset's own filters, set
    by its editors, may)."""
    withheld = set(dataset.withheld_columns)
    if not withheld:
        return
    for text in asked:
        try:
            named = [f.column for f in lens_filters.parse(text)]
        except FilterError:
            continue  # _read says what is wrong with it
        column = next((c for c in named if c in withheld), None)
        if column is not None:
            raise LensError(f"the row filter {text!r} names restricted column {column!r}; "
                            "filter on an open column", row_filter=text)


def refuse_controlled(user, dataset: Dataset, *, asked: tuple[str, ...] = (),
                      measure: str = "count") -> None:
    """Someone who sees a dataset's counts only through disclosure control (records withheld,
    not a member) gets its plain counts per area, as the aggregate API does: any row filter
    they ask for is refused, whatever column it names, since two filtered totals differenced
    (``reference!=X`` against a value no row holds) tell whether a withheld row holds X; and
    so is any measure but a count. The dataset's own filters, set by its editors, still apply
    (the same for everyone)."""
    from .. import access
    from .readlog import withheld_message

    asked = tuple(t.strip() for t in asked if t and t.strip())
    if not access.counts_are_controlled(user, dataset) or not (asked or measure != "count"):
        return
    raise LensError(withheld_message(dataset) + " Only plain counts per area are public.",
                    row_filter=asked[0] if asked else None)


def asked_filters(values) -> tuple[str, ...]:
    """Row filters as asked (page, API, CLI): each value may hold several, split by ";"."""
    return tuple(part.strip() for value in values or () for part in str(value).split(";")
                 if part.strip())


def dataset_filters(dataset: Dataset) -> tuple[str, ...]:
    """The row filters the dataset's editors set for the lens, one a line."""
    return tuple(line.strip() for line in dataset.lens_filters.splitlines() if line.strip())


def _read(dataset: Dataset, version: Version, city: City, measure: str, column: str | None,
          filters: tuple[str, ...]) -> Measure:
    """The measure with the dataset's names, nature, date, site rule and row filters (each
    checked against the file's columns first, so that an error names the one at fault)."""
    types = column_types(version.parquet_path)
    checked = [f for text in filters for f in lens_filters.check(text, types)]
    m = read_measure(version.parquet_path, city.area_codes, city.base_geography,
                     kind=measure, column=column, label=_label(dataset, measure, column),
                     columns=[{"name": n, "type": t} for n, t in types.items()],
                     filters=checked, site_column=dataset.site_column.strip() or None)
    names = parse_column_names(dataset.column_names).get(column or "")
    unit = names[1] if names and measure == "weight" else m.unit
    return replace(m, singular=dataset.row_singular.strip(), unit=unit,
                   nature=dataset.nature, as_of=dataset.data_as_of,
                   filters=tuple(lens_filters.describe(t) for t in filters))


def parse_column_names(text: str) -> dict[str, tuple[str, str]]:
    """``column = singular / plural`` lines → {column: (singular, plural)}; a ValueError names
    the line that cannot be read."""
    names = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        column, equals, words = line.partition("=")
        singular, slash, plural = words.partition("/")
        if not (equals and slash and column.strip() and singular.strip() and plural.strip()):
            raise ValueError(f"line {number}, {line.strip()!r}: write column = singular / "
                             "plural, e.g. n_connectors = connector / connectors")
        names[column.strip()] = (singular.strip(), plural.strip())
    return names


def _label(dataset: Dataset, measure: str, column: str | None) -> str:
    """What the rows are, in the plural: as the editor names them (``row_plural``), else from
    the dataset's title: "Car parks (OpenStreetMap)" → "car parks"; acronyms keep their case
    ("GP practices")."""
    if dataset.row_plural.strip():
        return dataset.row_plural.strip()
    title = re.sub(r"\s*\(.*?\)\s*$", "", dataset.title.strip())
    title = title.split(":")[0].strip() or dataset.title.strip()
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]
