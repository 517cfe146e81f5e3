"""The register's CSV tables: read uploaded files (JSON, CSV tables or a zip of them) as a
register document, and write a register out as the tables (pure: no Django).

Four tables, one CSV file each (UTF-8, a header line naming the columns, :data:`CSV_COLUMNS`):
``organisations.csv`` and ``projects.csv`` (required), ``places.csv`` and ``funding.csv``
(one line per place or funding, its ``project`` column naming the project's id). A list in a
cell holds one item per line; a partner is ``organisation-id:role``; a link is ``url title``.
A problem names the file and line (``projects.csv line 4 "mk-smart" partners[2].role``).
docs/REGISTER.md describes them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

from .registerfile import (
    FUNDING_FIELDS,
    ORGANISATION_FIELDS,
    PLACE_FIELDS,
    PROJECT_FIELDS,
    REGISTER_MAX_BYTES,
    TEXT_LISTS,
    Locator,
    Problem,
    Register,
    read_json,
    too_big,
)

#: The CSV tables: file name → columns, in order. Every table's first data line is line 2.
CSV_COLUMNS = {
    "organisations.csv": ORGANISATION_FIELDS,
    "projects.csv": tuple(f for f in PROJECT_FIELDS if f not in ("places", "funding")),
    "places.csv": ("project",) + PLACE_FIELDS,
    "funding.csv": ("project",) + FUNDING_FIELDS,
}
CSV_REQUIRED = ("organisations.csv", "projects.csv")
CSV_REQUIRED_COLUMNS = {"organisations.csv": ("id", "name", "kind"),
                        "projects.csv": ("id", "title"), "places.csv": ("project",),
                        "funding.csv": ("project", "funder")}


def read_upload(files: Mapping[str, bytes], *,
                limit: int = REGISTER_MAX_BYTES) -> tuple[Any, Locator, list[Problem]]:
    """Uploaded files as a register document: one ``.json`` file, one ``.zip`` of the CSV
    tables, or the CSV tables themselves (named as :data:`CSV_COLUMNS`). Returns the
    document (None when it cannot be read), the locator for its problems and the problems
    met reading it. Every file's size is checked before it is read."""
    total = sum(len(b) for b in files.values())
    if not files:
        return None, Locator(), [Problem("file", "choose a register file (JSON, or the CSV "
                                                 "tables, or a zip of them)")]
    if total > limit:
        names = ", ".join(files)
        return None, Locator(), [too_big(names, total, limit)]
    names = list(files)
    if len(names) == 1 and names[0].lower().endswith(".zip"):
        tables, problems = _unzip(names[0], files[names[0]], limit)
        if problems:
            return None, Locator(), problems
        return read_csv_tables(tables)
    if all(n.lower().endswith(".csv") for n in names):
        return read_csv_tables({basename(n): b for n, b in files.items()})
    if len(names) == 1:
        document, problems = read_json(files[names[0]], name=names[0], limit=limit)
        return document, Locator(), problems
    return None, Locator(), [Problem("file", "give one JSON file, or CSV tables (or one zip "
                                             f"of them), not {', '.join(names)}")]


def _unzip(name: str, data: bytes, limit: int) -> tuple[dict[str, bytes], list[Problem]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        return {}, [Problem(name, f"not a zip file ({exc})")]
    unknown = [m.filename for m in members if basename(m.filename) not in CSV_COLUMNS]
    if unknown:
        return {}, [Problem(name, f"holds {', '.join(short(u) for u in unknown[:5])}: a "
                                  f"register zip holds only {', '.join(CSV_COLUMNS)}")]
    size = sum(m.file_size for m in members)
    if size > limit:
        return {}, [too_big(f"{name} (unpacked)", size, limit)]
    tables = {}
    for member in members:
        try:
            with archive.open(member) as f:
                body = f.read(limit + 1)  # the sizes in a zip's directory can lie
        except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error, OSError,
                RuntimeError) as exc:  # damaged, encrypted or an unknown compression
            return {}, [Problem(f"{name}: {short(member.filename)}",
                                f"cannot be unpacked ({exc or type(exc).__name__}). Nothing "
                                "was read")]
        if len(body) > limit:
            return {}, [too_big(f"{name} (unpacked)", len(body), limit)]
        tables[basename(member.filename)] = body
    return tables, []


def read_csv_tables(files: Mapping[str, bytes]) -> tuple[Any, Locator, list[Problem]]:
    """CSV tables (:data:`CSV_COLUMNS`) as a register document and the locator that names
    each item by its file and line."""
    problems = [Problem(name, f"not a register table (use {', '.join(CSV_COLUMNS)})")
                for name in files if name not in CSV_COLUMNS]
    problems += [Problem(name, f"missing: a register in CSV needs {' and '.join(CSV_REQUIRED)}")
                 for name in CSV_REQUIRED if name not in files]
    rows = {name: _csv_rows(name, files[name], columns, problems)
            for name, columns in CSV_COLUMNS.items() if name in files}
    if problems:
        return None, Locator(), problems
    lines: dict[tuple, str] = {}
    document: dict = {"organisations": [], "projects": []}
    for i, (line, row) in enumerate(rows["organisations.csv"]):
        lines[("organisations", i)] = f"organisations.csv line {line}"
        document["organisations"].append({
            "id": row["id"], "name": row["name"], "kind": row["kind"],
            "url": row.get("url"), "sources": _lines(row.get("sources"))})
    for i, (line, row) in enumerate(rows["projects.csv"]):
        lines[("projects", i)] = f"projects.csv line {line}"
        document["projects"].append(_csv_project(row))
    _attach(document["projects"], rows, lines, problems)
    return (None if problems else document), Locator(lines), problems


def _attach(projects: list[dict], rows: dict, lines: dict[tuple, str],
            problems: list[Problem]) -> None:
    """Places and funding lines added to their projects (by the ``project`` column)."""
    index: dict[str, int] = {}
    for i, project in enumerate(projects):
        if project.get("id"):
            index.setdefault(project["id"], i)
    for table, key, read in (("places.csv", "places", _csv_place),
                             ("funding.csv", "funding", _csv_funding)):
        for line, row in rows.get(table, []):
            i = index.get(row.get("project") or "")
            if i is None:
                problems.append(Problem(f"{table} line {line} project",
                                        f'"{short(row.get("project") or "")}" is not a '
                                        "project in projects.csv"))
                continue
            items = projects[i][key]
            lines[("projects", i, key, len(items))] = f"{table} line {line}"
            items.append(read(row))


def _csv_rows(name: str, data: bytes, columns: tuple[str, ...],
              problems: list[Problem]) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, f"not UTF-8 text (byte {exc.start + 1})"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        problems.append(Problem(name, "empty: the first line names the columns"))
        return []
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in columns]
    required = [c for c in CSV_REQUIRED_COLUMNS[name] if c not in header]
    if unknown:
        problems.append(Problem(f"{name} line 1", f"unknown column(s) {', '.join(unknown)} "
                                                  f"(columns: {', '.join(columns)})"))
    if required:
        problems.append(Problem(f"{name} line 1", f"missing column(s) {', '.join(required)}"))
    if unknown or required:
        return []
    out = []
    line = reader.line_num + 1  # where the next record starts (a cell may hold lines)
    for values in reader:
        line, start = reader.line_num + 1, line
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            problems.append(Problem(f"{name} line {start}", f"{len(values)} cells for "
                                                            f"{len(header)} columns"))
            continue
        out.append((start, {h: _cell(v) for h, v in zip(header, values, strict=False)}))
    return out


def _cell(text: str) -> str | None:
    """A CSV cell's text: blank is None; the ``'`` an export puts before text a spreadsheet
    would read as a formula is taken off again."""
    text = text.strip()
    if text.startswith("'") and re.match(r"'[=+\-@\t\r]", text):
        text = text[1:]
    return text or None


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _csv_project(row: dict) -> dict:
    project: dict = {k: row.get(k) for k in CSV_COLUMNS["projects.csv"] if k in row}
    for key in TEXT_LISTS:
        project[key] = _lines(row.get(key))
    project["partners"] = []
    for line in _lines(row.get("partners")):
        organisation, _, role = line.partition(":")
        project["partners"].append({"organisation": organisation.strip(),
                                    "role": role.strip() or None})
    project["links"] = []
    for line in _lines(row.get("links")):
        url, _, title = line.partition(" ")
        project["links"].append({"url": url, "title": title.strip()})
    if row.get("city_wide") is not None:
        flag = row["city_wide"].lower()
        project["city_wide"] = {"true": True, "yes": True, "1": True, "false": False,
                                "no": False, "0": False}.get(flag, row["city_wide"])
    project["places"], project["funding"] = [], []
    return project


def _csv_place(row: dict) -> dict:
    place: dict = {"description": row.get("description"), "lat": _number(row.get("lat")),
                   "lon": _number(row.get("lon")), "areas": _lines(row.get("areas"))}
    if row.get("geometry"):
        try:
            place["geometry"] = json.loads(row["geometry"])
        except ValueError:
            place["geometry"] = row["geometry"]  # the check says it is no GeoJSON geometry
    return place


def _csv_funding(row: dict) -> dict:
    return {"funder": row.get("funder"), "amount_gbp": _number(row.get("amount_gbp")),
            "programme": row.get("programme"), "source": row.get("source")}


def _number(text: str | None) -> Any:
    """A CSV number (``1,300,000`` allowed); text that is not one is kept for the check."""
    if text is None:
        return None
    number = re.fullmatch(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?", text, re.IGNORECASE)
    value = float(text.replace(",", "")) if number else None
    if value is None or not math.isfinite(value):
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value


def csv_tables(register: Register) -> dict[str, list[list[Any]]]:
    """The register as its CSV tables (:data:`CSV_COLUMNS`): a header row, then one row per
    item. Lists are one item per line; numbers stay numbers (the writer neutralises text)."""
    tables: dict[str, list[list[Any]]] = {n: [list(c)] for n, c in CSV_COLUMNS.items()}
    for o in register.organisations:
        tables["organisations.csv"].append([o.id, o.name, o.kind, o.url, "\n".join(o.sources)])
    for p in register.projects:
        values = {
            **{k: "\n".join(getattr(p, k)) for k in TEXT_LISTS},
            "id": p.id, "title": p.title, "summary": p.summary, "status": p.status,
            "start": p.start, "end": p.end,
            "partners": "\n".join(f"{x.organisation}:{x.role}" for x in p.partners),
            "people_involved_or_affected": p.people_involved_or_affected,
            "social_difference_notes": p.social_difference_notes, "champion": p.champion,
            "links": "\n".join(f"{x.url} {x.title}".strip() for x in p.links),
            "city_wide": "" if p.city_wide is None else str(p.city_wide).lower()}
        tables["projects.csv"].append([values[c] for c in CSV_COLUMNS["projects.csv"]])
        for x in p.places:
            tables["places.csv"].append([
                p.id, x.description, x.lat, x.lon, "\n".join(x.areas),
                json.dumps(x.geometry) if x.geometry is not None else ""])
        for f in p.funding:
            tables["funding.csv"].append([p.id, f.funder, f.amount_gbp, f.programme, f.source])
    return tables


def basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def short(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"
