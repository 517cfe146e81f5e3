"""Who takes part, set against the city: where they live (the national deprivation fifth of
their neighbourhood) and who they are (the Census 2021 categories of ``questions``), with
disclosure control.

**What is published, and when.** The people who take part in a thing are counted in
batches: the first ``2t`` (``t``: the disclosure threshold), then up to ``8t``, ``32t``...
people (``batch_for``). A batch's tables are published only once it is closed (someone of a later
batch has taken part), so a table never changes after it is shown: with a page that moved on
each comment, the difference between two visits would tell what the newest commenter (whose
name is on the comment) said about themselves. Every milestone ever shown (the first ``2t``,
``8t``, ``32t``... people) counts as published, so a reader may set them side by side.

**Suppression.** For each question, the cells are batches × answers; the published totals are
each milestone's count of each answer, and each milestone's number of people (public anyway:
the commenters can be counted). ``lens.disclosure.suppress`` hides every count below the
threshold, none included, and whatever would let a reader work one out from all the
milestones together (``docs/DISCLOSURE.md``); each page is then audited against what the
earlier pages really showed (``decide``), and shows no answer of a question rather than one
that would narrow a small count (or if the suppression wanted to hide a number of people,
which the page cannot). A small count in the newest batch keeps a later milestone's count
of that answer hidden unless the earlier batches' share of it stays unknown, which is why
the first page waits for ``2t`` people (one batch: a plain table, where a group of ``t`` or
more is shown) and the batches then grow fourfold (the newest is three quarters of the
people; with doubling ones, no group of more than half the people could ever be shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from commonground.lens.disclosure import Suppression, intervals, suppress

from .models import TakingPart
from .questions import QUESTIONS
from .services import threshold as default_threshold

NOT_SAID = "not said"
#: How far a share of those taking part must be from the city's to be told in words.
FAR = 0.15
#: National deprivation fifths, 1 = the most deprived 20% of neighbourhoods in England.
FIFTHS = {1: "most deprived fifth", 2: "second most deprived fifth", 3: "middle fifth",
          4: "second least deprived fifth", 5: "least deprived fifth"}


#: The first milestone holds this many times the threshold; each later one this many times
#: the people of the one before.
FIRST, GROWTH = 2, 4


def batch_for(n: int, threshold: int) -> int:
    """The batch of the person who takes part after ``n`` others: 1 for the first
    ``2 * threshold``, 2 up to ``8 * threshold`` people, 3 up to ``32 * threshold``..."""
    batch = 1
    while n >= milestone_size(batch, threshold):
        batch += 1
    return batch


def milestone_size(batch: int, threshold: int) -> int:
    """How many people have taken part once ``batch`` is full."""
    return FIRST * threshold * GROWTH ** (batch - 1)


@dataclass(frozen=True)
class Words:
    """How a page speaks of the people who took part in one kind of thing."""

    lead: str  # what most of them came from: "Most comments"
    did: str  # what they did: "commented"


#: Each kind of thing whose participation is published (the kind is the thing's prefix).
WORDS = {"consultation": Words("Most comments", "commented"),
         "requests": Words("Most requests for data", "asked for data"),
         "offer": Words("Most registrations", "registered interest")}


@dataclass(frozen=True)
class Table:
    field: str
    title: str
    universe: str
    rows: list[dict]  # {"value", "label", "count" (None: hidden), "share", "city_share"}


def participation(thing: str, *, threshold: int | None = None) -> dict:
    """The published tables of the people who took part in ``thing`` ("consultation:12"):
    ``{"shown": False, "people": n}`` while the first batch is still open (too few to show);
    else the latest published milestone's ``people``, ``next`` (the size at which the figures
    next move on), ``tables`` (where they live, then each question) and ``sentences``; and
    always ``did``, what they did in words (``WORDS``, by the thing's kind)."""
    words = WORDS[thing.split(":")[0]]
    t = int(threshold or default_threshold())
    shown, rows = published_rows(thing, "lsoa_code", *(q.field for q in QUESTIONS))
    if shown < 1:
        return {"shown": False, "threshold": t, "first": milestone_size(1, t),
                "did": words.did}
    city = _city()
    batches = np.array([r[0] for r in rows])
    tables = [_where(batches, [r[1] for r in rows], shown, t, city)]
    for i, q in enumerate(QUESTIONS):
        values = [r[2 + i] for r in rows]
        categories = [(c.value, c.label) for c in q.categories]
        shares = city["census"].get(q.field, {})
        tables.append(_table(q.field, q.text, q.universe, batches, values, categories,
                             shares, shown, t))
    people = len(rows)
    return {"shown": True, "threshold": t, "did": words.did, "people": people,
            "next": milestone_size(shown + 1, t), "tables": tables,
            "sentences": sentences(tables, people, city["name"], words)}


def published_rows(thing: str, *fields: str) -> tuple[int, list[tuple]]:
    """The closed batches of ``thing``: how many (0 while the first is still open) and their
    rows, ``(batch, *fields)`` each. The newest batch is never among them, so what they add
    up to moves only when someone of a later batch takes part, never with one person."""
    rows = list(TakingPart.objects.filter(thing=thing).values_list("batch", *fields))
    shown = max((r[0] for r in rows), default=0) - 1
    return max(shown, 0), [r for r in rows if r[0] <= shown]


def _where(batches, codes, shown: int, t: int, city: dict) -> Table:
    fifth = city["fifth"]
    values = [str(fifth[c]) if c in fifth else "" for c in codes]
    categories = [(str(k), f"The {label} of neighbourhoods") for k, label in FIFTHS.items()]
    return _table("where", "Where they live (by the deprivation of their neighbourhood in "
                           "England)", "residents", batches, values, categories,
                  city["fifth_shares"], shown, t)


def _table(field, title, universe, batches, values, categories, city_shares, shown: int,
           t: int) -> Table:
    keys = [k for k, _ in categories] + [NOT_SAID]
    column = {k: j for j, k in enumerate(keys)}
    cells = np.zeros((shown, len(keys)), dtype=int)
    for b, v in zip(batches, values, strict=True):
        cells[b - 1, column.get(v, column[NOT_SAID])] += 1
    hidden = decide(cells, t)[-1]
    total = int(cells.sum())
    latest = cells.sum(axis=0)
    rows = []
    for (key, label), n, secret in zip([*categories, (NOT_SAID, "Did not say")], latest,
                                       hidden, strict=True):
        rows.append({"value": key, "label": label, "count": None if secret else int(n),
                     "share": None if secret else round(float(n) / total, 3),
                     "city_share": city_shares.get(key)})
    return Table(field, title, universe, rows)


def milestone_groups(batches: int, answers: int) -> tuple[list[list[int]], list[int]]:
    """The published totals of one question over cells ``batch * answers + answer``: each
    milestone's count of each answer, then its number of people; and the positions of
    those numbers of people among the groups."""
    groups, people = [], []
    for m in range(batches):
        for a in range(answers):
            groups.append([b * answers + a for b in range(m + 1)])
        people.append(len(groups))
        groups.append(list(range((m + 1) * answers)))
    return groups, people


def decide(cells: np.ndarray, t: int) -> np.ndarray:
    """What each milestone's page showed of one question: ``cells`` (batches, answers)
    counts; returns (batches, answers) booleans, row ``m`` True where the page of milestone
    ``m`` (the first, the second...) hides that answer's count.

    Milestone ``m`` is decided by ``suppress`` over every milestone up to it, then audited
    (``intervals``) against what the pages of the earlier milestones really showed, since a
    reader may keep them: if any small count, of any batch, could then be narrowed — or if
    the suppression wanted to hide a number of people, which the page shows — that page
    shows no answer at all, only its number of people (each new batch's answers then stay
    anything from none to all of it, and the earlier pages are as safe as they were)."""
    return np.array(_published(tuple(cells.ravel().tolist()), *cells.shape, t))


@lru_cache(maxsize=512)
def _published(cells: tuple[int, ...], batches: int, answers: int, t: int) -> tuple:
    # remembered: a published milestone's counts never change
    values = np.array(cells, dtype=float)
    earlier = (_published(cells[:(batches - 1) * answers], batches - 1, answers, t)
               if batches > 1 else ())
    groups, people = milestone_groups(batches, answers)
    result = suppress(values, groups, t)
    shown = result.groups.reshape(batches, answers + 1)
    latest = [True] * answers if result.groups[people].any() else shown[-1, :answers].tolist()
    flags = [[*row, False] for row in (*earlier, latest)]  # each page shows its people
    audit = intervals(values, groups, Suppression(
        cells=np.ones(len(values), dtype=bool), groups=np.array(sum(flags, []), dtype=bool),
        threshold=t))
    if audit.cells_exposed.any() or audit.groups_exposed.any():
        latest = [True] * answers
    return (*earlier, tuple(bool(h) for h in latest))


def _city() -> dict:
    """The city's side, once per load: each neighbourhood's national deprivation fifth (the
    newest Index of Multiple Deprivation), the residents' shares by fifth, and each
    question's Census shares."""
    from commonground.catalogue.services.lens import lens_city  # here: NumPy, the city
    from commonground.places.cache import city_state

    state = city_state()
    return state.derived("participation-city", lambda: _build_city(lens_city(state)))


def _build_city(city) -> dict:
    fifth, fifth_shares = {}, {}
    try:
        decile = city.edition(None).national_decile
    except LookupError:
        decile = np.full(len(city.area_codes), np.nan)
    known = ~np.isnan(decile)
    quintile = np.where(known, np.ceil(np.nan_to_num(decile) / 2), 0).astype(int)
    for code, q in zip(city.area_codes, quintile, strict=True):
        if q:
            fifth[code] = q
    people = float(city.population[known].sum())
    if people:
        fifth_shares = {str(k): round(float(city.population[quintile == k].sum()) / people, 3)
                        for k in FIFTHS}
    census = {}
    for q in QUESTIONS:
        wanted = [label for c in q.categories for label in c.census]
        table = next((g for g in city.groups if set(wanted) <= set(g.labels)), None)
        if table is None:
            continue
        sums = table.counts.sum(axis=0)
        by_label = dict(zip(table.labels, sums, strict=True))
        whole = sum(by_label[label] for label in wanted)
        if whole:
            census[q.field] = {c.value: round(float(sum(by_label[x] for x in c.census)
                                                        / whole), 3) for c in q.categories}
    return {"name": city.name, "fifth": fifth, "fifth_shares": fifth_shares, "census": census}


def sentences(tables: list[Table], people: int, city_name: str,
              words: Words = WORDS["consultation"]) -> list[str]:
    """What the tables say, in plain words: where most came from, where too few did to show
    (with how many of the city's people live there), and whom the hub is missing (a group
    whose share among those who answered is under half the city's)."""
    out, did = [], words.did
    places = [r for r in tables[0].rows if r["value"] != NOT_SAID]
    most = max((r for r in places if r["count"] is not None), key=lambda r: r["count"],
               default=None)
    if most is not None:
        lead = (words.lead if most["count"] * 2 > people
                else f"The {words.lead.lower()} we can show")
        city = (f", as do {_in100(most['city_share'])} people in {city_name}"
                if most["city_share"] is not None else "")
        out.append(f"{lead} came from the {most['label'][4:]} in England: "
                   f"{most['count']} of the {people} people who {did} live there{city}.")
    unseen = [r for r in places if r["count"] is None]
    if unseen:
        names = _and([r["label"][4:].removesuffix(" of neighbourhoods") for r in unseen])
        share = sum(r["city_share"] or 0 for r in unseen)
        out.append(f"We cannot show how many came from the {names} of neighbourhoods (too "
                   f"few, or hidden to protect others). {_in100(share).capitalize()} people in "
                   f"{city_name} live there.")
    for r in places:
        if r["count"] is not None and r["city_share"] and r["share"] < r["city_share"] / 2:
            out.append(f"Few came from the {r['label'][4:]}: {_in100(r['share'])} of those "
                       f"who {did}, against {_in100(r['city_share'])} people in "
                       f"{city_name}.")
    for table in tables[1:]:
        out.extend(_missing(table, people, city_name, did))
    return out


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _missing(table: Table, people: int, city_name: str, did: str) -> list[str]:
    """Each shown answer whose share among the people who took part is far (15 in 100 or
    more) from the city's."""
    whose = "households" if table.universe == "households" else "people"
    return [f"{r['label']}: {r['count']} of the {people} who {did}, against "
            f"{_in100(r['city_share'])} {whose} in {city_name}."
            for r in table.rows if r["count"] is not None and r["city_share"] is not None
            and abs(r["share"] - r["city_share"]) >= FAR]


def _in100(share: float) -> str:
    return f"{round(share * 100)} in 100"
