"""The register's partnerships as a network of organisations and projects, its picture and
its measures in plain words.

The network is bipartite: an organisation is *in* a project when the project names it as a
partner in some role, or as a funder (``Tie``). ``select`` keeps the projects with a theme
or running in a period; the measures count what a reader can check by hand (who is in most
projects, each kind's share, which projects name a community partner or have none, which
organisations work together most often); ``layout`` places the nodes the same way every
time: organisations in a column on the left, grouped by kind; projects on the right,
ordered by start date.

Pure Python: plain records in, plain records out (no Django, no randomness).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from math import cos, pi, sin

from .periods import in_period

#: Kinds of organisation that speak for residents: a project with none of them (and no
#: partner in the community-partner role) has "no community or voluntary partner".
COMMUNITY_KINDS = frozenset({"community", "voluntary"})
COMMUNITY_ROLE = "community-partner"

#: The order of kinds down the picture, each with its marker's shape and fill. Fills are the
#: Okabe-Ito colour-blind-safe set (Okabe & Ito 2008, "Color Universal Design") and greys;
#: every marker has a dark outline, and its shape and the kind's heading name it too.
KIND_STYLE: dict[str, tuple[str, str]] = {
    "council": ("square", "#0072b2"),
    "community": ("circle", "#009e73"),
    "voluntary": ("ring", "#009e73"),
    "university": ("triangle", "#cc79a7"),
    "business": ("diamond", "#e69f00"),
    "startup": ("star", "#f0e442"),
    "utility": ("hexagon", "#56b4e9"),
    "transport-operator": ("pentagon", "#56b4e9"),
    "national-body": ("down", "#d55e00"),
    "international-body": ("cross", "#d55e00"),
    "funder": ("bar", "#999999"),
}
_OTHER_STYLE = ("circle", "#ffffff")


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    kind: str  # the register's kind: "council", "community", "business", ...
    kind_label: str = ""  # how pages name the kind ("Community group"); the kind if blank


@dataclass(frozen=True)
class Project:
    slug: str
    title: str
    themes: tuple[str, ...] = ()
    start: date | None = None  # the first day it can have started; None: not known
    end: date | None = None  # the last day it can have ended; None: not known
    live: bool = False  # still running


@dataclass(frozen=True)
class Tie:
    organisation: str  # slug
    project: str  # slug
    role: str  # "lead", "partner", ..., "funder"


@dataclass(frozen=True)
class Network:
    """Projects (by start date, then title), the organisations in them, and the ties."""

    projects: tuple[Project, ...]
    organisations: dict[str, Organisation]
    ties: tuple[Tie, ...]
    members: dict[str, frozenset[str]] = field(default_factory=dict)  # project -> organisations

    def kind_label(self, kind: str) -> str:
        return next((o.kind_label for o in self.organisations.values()
                     if o.kind == kind and o.kind_label), kind)


def build(organisations, projects, ties) -> Network:
    """The network of ``ties`` between ``organisations`` and ``projects`` (records above).

    A tie repeated is kept once; organisations in no tie are left out. A tie naming an
    unknown organisation or project raises ``ValueError`` naming it."""
    orgs = {o.slug: o for o in organisations}
    by_slug = {p.slug: p for p in projects}
    kept: dict[tuple[str, str, str], Tie] = {}
    for tie in ties:
        if tie.organisation not in orgs:
            raise ValueError(f"tie {tie}: no organisation {tie.organisation!r}")
        if tie.project not in by_slug:
            raise ValueError(f"tie {tie}: no project {tie.project!r}")
        kept.setdefault((tie.project, tie.organisation, tie.role), tie)
    ordered = tuple(sorted(by_slug.values(), key=_by_start))
    members: dict[str, set[str]] = {p.slug: set() for p in ordered}
    for tie in kept.values():
        members[tie.project].add(tie.organisation)
    in_any = set().union(*members.values()) if members else set()
    return Network(projects=ordered,
                   organisations={s: o for s, o in sorted(orgs.items()) if s in in_any},
                   ties=tuple(sorted(kept.values(), key=lambda t: (t.project, t.organisation,
                                                                   t.role))),
                   members={s: frozenset(m) for s, m in members.items()})


def _by_start(p: Project):
    return (p.start is None, p.start or date.min, p.title.casefold(), p.slug)


def runs_in(project: Project, first_year: int | None, last_year: int | None) -> bool:
    """Whether ``project`` ran at some time from ``first_year`` to ``last_year`` (inclusive;
    None: open), by the rule the project list shares (``periods.in_period``): no known
    start, in no period; no known end, to today while live, else its start year only."""
    return in_period(project.start, project.end, live=project.live, first_year=first_year,
                     last_year=last_year)


def left_out_undated(network: Network, *, theme: str | None = None,
                     first_year: int | None = None, last_year: int | None = None) -> int:
    """How many projects (with ``theme``) a period leaves out for having no known start."""
    if first_year is None and last_year is None:
        return 0
    return sum(p.start is None for p in network.projects
               if theme is None or theme in p.themes)


def select(network: Network, *, theme: str | None = None, first_year: int | None = None,
           last_year: int | None = None) -> Network:
    """The part of ``network`` whose projects have ``theme`` and run in the period."""
    keep = [p for p in network.projects
            if (theme is None or theme in p.themes) and runs_in(p, first_year, last_year)]
    slugs = {p.slug for p in keep}
    return build(network.organisations.values(), keep,
                 [t for t in network.ties if t.project in slugs])


# --- measures -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reach:
    organisation: Organisation
    projects: tuple[str, ...]  # slugs, in the network's order
    partners: tuple[tuple[str, int], ...]  # (organisation slug, projects together), most first


@dataclass(frozen=True)
class KindShare:
    kind: str
    label: str
    organisations: int
    projects: int  # projects with at least one organisation of this kind


@dataclass(frozen=True)
class Pair:
    first: Organisation
    second: Organisation
    projects: tuple[str, ...]  # slugs of the projects both are in


def reach(network: Network) -> list[Reach]:
    """Each organisation with its projects and partners, in most projects first."""
    projects_of: dict[str, list[str]] = defaultdict(list)
    together: dict[str, Counter] = defaultdict(Counter)
    for p in network.projects:
        for slug in network.members[p.slug]:
            projects_of[slug].append(p.slug)
            together[slug].update(network.members[p.slug] - {slug})
    rows = [Reach(org, tuple(projects_of[slug]),
                  tuple(sorted(together[slug].items(),
                               key=lambda kv: (-kv[1], network.organisations[kv[0]].name))))
            for slug, org in network.organisations.items()]
    return sorted(rows, key=lambda r: (-len(r.projects), r.organisation.name.casefold()))


def kind_shares(network: Network) -> list[KindShare]:
    """For each kind present: its organisations and the projects with one of them."""
    orgs = Counter(o.kind for o in network.organisations.values())
    projects = Counter(kind for p in network.projects for kind in
                       {network.organisations[s].kind for s in network.members[p.slug]})
    return [KindShare(kind, network.kind_label(kind), orgs[kind], projects[kind])
            for kind in _kind_order(orgs)]


def _kind_order(kinds) -> list[str]:
    known = [k for k in KIND_STYLE if k in kinds]
    return known + sorted(k for k in kinds if k not in KIND_STYLE)


def naming_role(network: Network, role: str) -> list[Project]:
    """The projects that name an organisation in ``role``."""
    slugs = {t.project for t in network.ties if t.role == role}
    return [p for p in network.projects if p.slug in slugs]


def without_community(network: Network) -> list[Project]:
    """The projects with no community group or voluntary organisation among their partners,
    and none in the community-partner role."""
    named = {p.slug for p in naming_role(network, COMMUNITY_ROLE)}
    return [p for p in network.projects if p.slug not in named and not any(
        network.organisations[s].kind in COMMUNITY_KINDS for s in network.members[p.slug])]


def pairs(network: Network, *, least: int = 2) -> list[Pair]:
    """Pairs of organisations in at least ``least`` projects together, most often first."""
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in network.projects:
        for a, b in combinations(sorted(network.members[p.slug]), 2):
            shared[a, b].append(p.slug)
    orgs = network.organisations
    found = [Pair(orgs[a], orgs[b], tuple(s)) for (a, b), s in shared.items() if len(s) >= least]
    return sorted(found, key=lambda q: (-len(q.projects), q.first.name.casefold(),
                                        q.second.name.casefold()))


def _of(n: int, total: int, noun: str) -> str:
    return f"{n} of {total} {noun}" if total != 1 else f"{n} of 1 {noun.rstrip('s')}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n != 1 else f"1 {noun.rstrip('s')}"


def in_words(network: Network, *, top: int = 3, top_pairs: int = 3) -> list[str]:
    """The measures as short sentences, the counts computed from ``network``."""
    total = len(network.projects)
    if not total:
        return ["No projects match: there is nothing to count."]
    words = [f"{_plural(total, 'projects')} and "
             f"{_plural(len(network.organisations), 'organisations')} are in this picture."]
    words += [f"{r.organisation.name} is in {_of(len(r.projects), total, 'projects')}."
              for r in reach(network)[:top]]
    named = len(naming_role(network, COMMUNITY_ROLE))
    words.append(f"{_of(named, total, 'projects')} name a community partner.")
    none = len(without_community(network))
    words.append(f"{_of(none, total, 'projects')} have no community or voluntary partner.")
    words += [f"{q.first.name} and {q.second.name} work together in "
              f"{_plural(len(q.projects), 'projects')}." for q in pairs(network)[:top_pairs]]
    return words


def share_in_words(share: KindShare, network: Network) -> str:
    """"Business: 43 of 89 organisations (48%), in 15 of 25 projects"."""
    orgs, total = share.organisations, len(network.organisations)
    return (f"{share.label}: {_of(orgs, total, 'organisations')} ({round(100 * orgs / total)}%),"
            f" in {_of(share.projects, len(network.projects), 'projects')}")


# --- picture --------------------------------------------------------------------------------

#: The picture's grid in SVG user units (the page scales it to its width: viewBox).
WIDTH = 480  # at a phone's 343 px the text is drawn at about 11 px, rows 19 px apart
ROW = 26  # height of one organisation's row
ORG_X = 212  # organisation markers; their labels end to the left
PROJECT_X = 280  # project markers; their labels start to the right
TOP = 40  # room for the column headings
LABEL_CHARS = 21  # about 8.5 units a character at font size 15: longer names are cut with
# "…" (the full name names the link, and the table twin has it)
MARK = 6.0  # marker half-size


@dataclass(frozen=True)
class Node:
    slug: str
    name: str  # in full
    label: str  # as drawn
    note: str  # e.g. "Council, in 22 projects"
    x: float
    y: float
    marker: str  # SVG path data
    fill: str
    text_x: float  # where the label starts (projects) or ends (organisations)
    anchor: str  # SVG text-anchor: "start" or "end"
    href: str = ""  # the page it links to


@dataclass(frozen=True)
class Heading:
    text: str
    text_x: float
    y: float
    marker: str
    fill: str


@dataclass(frozen=True)
class Line:
    path: str
    project: str
    role: str


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    headings: list[Heading]
    organisations: list[tuple[Node, list[Line]]]  # each with the lines to its projects
    projects: list[Node]


def layout(network: Network, href=None) -> Picture:
    """Organisations down the left, grouped by kind (most projects first, then by name) under
    a heading with the kind's marker; projects down the right by start date; a line from
    each organisation to each of its projects. The same network draws the same picture.

    ``href(kind, slug)``, with kind "organisation" or "project", gives each node its link."""
    href = href or (lambda kind, slug: "")
    rows = reach(network)
    by_kind: dict[str, list[Reach]] = defaultdict(list)
    for r in rows:
        by_kind[r.organisation.kind].append(r)
    y, headings, placed = TOP, [], []
    for kind in _kind_order(by_kind):
        shape, fill = KIND_STYLE.get(kind, _OTHER_STYLE)
        y += ROW
        headings.append(Heading(f"{network.kind_label(kind)} ({len(by_kind[kind])})",
                                ORG_X - 2 * MARK, y,
                                marker(shape, ORG_X, y - 4), fill))
        for r in by_kind[kind]:
            y += ROW
            o = r.organisation
            note = f"{network.kind_label(kind)}, in {_plural(len(r.projects), 'projects')}"
            placed.append((Node(o.slug, o.name, _cut(o.name), note, ORG_X, y,
                                marker(shape, ORG_X, y - 4), fill, ORG_X - 2 * MARK, "end",
                                href("organisation", o.slug)),
                           r.projects))
    n = len(network.projects)
    height = max(y, TOP + n * ROW) + ROW
    step = (height - TOP - ROW) / n if n else 0
    projects = []
    for i, p in enumerate(network.projects):
        py = round(TOP + step * (i + 0.5) + ROW / 2, 1)
        when = str(p.start.year) if p.start else "date not known"
        count = _plural(len(network.members[p.slug]), "organisations")
        projects.append(Node(p.slug, p.title, _cut(p.title), f"started {when}, {count}",
                             PROJECT_X, py, marker("project", PROJECT_X, py - 4), "#ffffff",
                             PROJECT_X + 2 * MARK, "start", href("project", p.slug)))
    at = {p.slug: p for p in projects}
    roles = defaultdict(list)
    for t in network.ties:
        roles[t.organisation, t.project].append(t.role)
    organisations = [(node, [Line(_curve(node.x + MARK, node.y - 4, at[s].x - MARK, at[s].y - 4),
                                  s, ", ".join(roles[node.slug, s])) for s in slugs])
                     for node, slugs in placed]
    return Picture(WIDTH, round(height), headings, organisations, projects)


def _cut(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "…"


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    mid = (x1 + x2) / 2
    return f"M{x1:g} {y1:g}C{mid:g} {y1:g} {mid:g} {y2:g} {x2:g} {y2:.1f}"


def _polygon(cx: float, cy: float, r: float, corners: int, turn: float = -pi / 2) -> str:
    points = [(cx + r * cos(turn + 2 * pi * i / corners), cy + r * sin(turn + 2 * pi * i / corners))
              for i in range(corners)]
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z"


def marker(shape: str, cx: float, cy: float, r: float = MARK) -> str:
    """SVG path data for a marker of ``shape`` centred on (cx, cy), ``r`` units across half."""
    if shape in ("circle", "ring"):
        inner = (f"M{cx:g} {cy - r / 2:g}a{r / 2:g} {r / 2:g} 0 1 0 0.01 0Z"
                 if shape == "ring" else "")
        return f"M{cx:g} {cy - r:g}a{r:g} {r:g} 0 1 0 0.01 0Z" + inner
    if shape == "square":
        return f"M{cx - r:g} {cy - r:g}h{2 * r:g}v{2 * r:g}h{-2 * r:g}Z"
    if shape == "project":
        return f"M{cx - r:g} {cy - r * .7:g}h{2 * r:g}v{1.4 * r:g}h{-2 * r:g}Z"
    if shape == "bar":
        return f"M{cx - r:g} {cy - r / 2:g}h{2 * r:g}v{r:g}h{-2 * r:g}Z"
    if shape == "cross":
        t = r / 3
        return (f"M{cx - t:g} {cy - r:g}h{2 * t:g}v{r - t:g}h{r - t:g}v{2 * t:g}h{t - r:g}"
                f"v{r - t:g}h{-2 * t:g}v{t - r:g}h{t - r:g}v{-2 * t:g}h{r - t:g}Z")
    if shape == "star":
        points = [(cx + (r if i % 2 == 0 else r / 2.2) * cos(-pi / 2 + pi * i / 5),
                   cy + (r if i % 2 == 0 else r / 2.2) * sin(-pi / 2 + pi * i / 5))
                  for i in range(10)]
        return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z"
    corners, turn = {"triangle": (3, -pi / 2), "down": (3, pi / 2), "diamond": (4, -pi / 2),
                     "pentagon": (5, -pi / 2), "hexagon": (6, 0.0)}[shape]
    return _polygon(cx, cy, r * 1.15 if corners == 3 else r, corners, turn)

