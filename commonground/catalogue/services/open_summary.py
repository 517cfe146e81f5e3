"""Use case: the open summary of a dataset whose rows are withheld — rows per ward, MSOA and
LSOA that anyone may read and download, so a group can often answer its question without
asking for the rows.

To anyone outside the dataset's organisation the counts are exactly
``disclosure.public_counts`` of the live version (the one disclosure-controlled table, the
same cells the aggregate API, the rows map and the place pages show): a hidden count — below
the threshold, none included, or one that would give such a count away — is told apart
neither from an empty area nor from another hidden one. The organisation's members see the
exact counts (those of the aggregate API), with the rows placed in no area of the geography.
"""

from __future__ import annotations

from dataclasses import dataclass

from commonground.datastore import query
from commonground.geography.codes import family, geography_label, vintage_year
from commonground.places.cache import city_state

from .. import access
from ..models import Dataset, Version
from .disclosure import public_counts

#: The geography families summarised, in the order shown.
FAMILIES = ("ward", "msoa", "lsoa")


@dataclass(frozen=True)
class AreaCount:
    code: str  # "" for the rows in no area (members only)
    name: str
    rows: int | None  # None: hidden


@dataclass(frozen=True)
class GeographySummary:
    geography: str
    label: str
    areas: list[AreaCount]

    @property
    def hidden(self) -> int:
        return sum(1 for a in self.areas if a.rows is None)


@dataclass(frozen=True)
class OpenSummary:
    controlled: bool  # False: the reader is a member and sees exact counts
    threshold: int
    geographies: list[GeographySummary]
    #: The public table is still being checked (a large one, decided in the background):
    #: every public count is hidden until then.
    pending: bool = False

    def of(self, geography: str) -> GeographySummary | None:
        return next((g for g in self.geographies if g.geography == geography), None)


def has_open_summary(dataset: Dataset) -> bool:
    """Whether the dataset publishes an open summary: its rows are withheld (restricted as a
    whole, or records about people)."""
    return dataset.records_withheld


def open_summary(user, version: Version) -> OpenSummary:
    """The live ``version``'s rows per area as ``user`` may see them (see the module).
    Raises ``LookupError`` when the version is not its resource's live one and the user is
    not a member (older versions' counts are members' only)."""
    dataset = version.resource.dataset
    if not access.can_see_version_counts(user, version):
        raise LookupError(access.OLDER_COUNTS_WITHHELD)
    state = city_state()
    names = {geography: {a.code: a.display_name for a in areas}
             for geography, areas in state.by_geography.items()}
    controlled = access.counts_are_controlled(user, dataset)
    public = public_counts(version)
    out = []
    for geography in _geographies(list(public.areas), state.base):
        if controlled:
            counts = public.areas[geography]
        else:
            try:
                exact = query.aggregate(version.parquet_path, geography)
            except query.QueryError:
                continue  # the file was not linked to this geography
            by_code = {r["code"]: r["count"] for r in exact}
            counts = [(a.code, by_code.get(a.code, 0)) for a in state.by_geography[geography]]
            if None in by_code:
                counts.append(("", by_code[None]))
        label = geography_label(geography)
        areas = [AreaCount(code, names[geography].get(code, code) if code
                           else f"Rows in no {label.lower()}", n) for code, n in counts]
        out.append(GeographySummary(geography, label, areas))
    return OpenSummary(controlled=controlled, threshold=public.threshold, geographies=out,
                       pending=public.pending)


def _geographies(published: list[str], base: str) -> list[str]:
    """The published ward, MSOA and LSOA geographies of the base's census (or none)."""
    year = vintage_year(base)
    chosen = [g for g in published if family(g) in FAMILIES and vintage_year(g) in (None, year)]
    return sorted(chosen, key=lambda g: FAMILIES.index(family(g)))


def csv_rows(summary: GeographySummary) -> list[list]:
    """The table as CSV rows, header first: ``code, name, rows, hidden``."""
    return [["code", "name", "rows", "hidden"]] + [
        [a.code, a.name, "" if a.rows is None else a.rows, "true" if a.rows is None else "false"]
        for a in summary.areas]
