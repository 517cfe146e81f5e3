"""Infer each column's type from a staged upload, and validate every value against it.

An upload arrives staged as a DuckDB table ``raw``: ``_row BIGINT`` (the row number the user
sees, header = row 1), the data columns as VARCHAR (empty cells already NULL), and optionally
``_geometry BLOB``. This module decides a type per data column (one of
:data:`.typesql.TYPES`) and reports the values that do not fit, as a
:class:`.report.ValidationReport`; :func:`infer_validate_and_cast` also builds the table
``typed`` (:func:`cast_select_list` gives its select-list).

All work is SQL over whole columns (:mod:`.counting`), never a Python loop over rows:

1. **Sample.** Every candidate type and format is counted on a sample of the rows
   (:func:`.counting.sample_source`; a small table is its own sample, and then the counts are
   final). Per column this gives the narrowest (type, format) that every sampled value fits:
   the whole column's can only be the same or broader, since the sampled values are in it.
2. **Confirm.** One pass over the whole table counts, per column, only the values that do
   not fit that one (type, format), plus what the rules below need (leading zeros, whole
   numbers too big for BIGINT, UTC offsets, and the month-first reading of day-first dates
   whenever the sample could not rule it out). When casting, the typed table is built
   first with the same expressions and the fits are counted in it, so each value is read as
   its type once. A text column is confirmed by counting the values that could fit any type
   at all (:func:`.typesql.could_fit_sql`): fewer than half, so no type fits enough.
3. **Fall back.** A column whose hypothesis fails (some value does not fit) or cannot be
   tested that way (mostly one type in the sample, an override to another type) gets the
   full count of step 1 over the whole table, so its type, note and exact bad count come
   from the same counts as without sampling.
4. For the columns that end up with bad values, one more pass fetches the first
   ``Limits.max_error_rows`` offending rows (``min_by(..., _row, n)``).

The value -> typed-value expression (:func:`.typesql.typed_sql`) is the single definition of
"fits": the passes count it, step 4 filters on it and the typed table holds it, so the
report and the typed table cannot disagree. A value that does not fit becomes NULL in the
typed table. :mod:`.typesql` lists the text each type accepts.

Rules, in the order they apply to a column:

- :data:`.typesql.NULL_TOKENS` ("NA", "..", "-", ...) are nulls in non-string columns, not
  bad values.
- A column declared by a typed source (Parquet, GeoJSON) keeps its declared type; a user's
  override (any column, any type) wins over both. Either way every value is still checked.
- An override ``"<type>:blank"`` (:data:`BLANK`; any type but string) keeps the column as
  ``<type>`` and leaves the values that do not fit it empty instead of refusing the file:
  they are counted and listed in the report (``blanked``, ``blanked_values``), not as bad
  values. The original upload keeps them.
- Otherwise the column gets the narrowest type that every value fits, trying integer, number,
  boolean, date, datetime. If none does, but at least :data:`MIXED_TYPE_SHARE` of the values
  fit one type, it gets that type and the rest are bad values ("mixed types"); else string.
- Whole numbers written with leading zeros ("007", "01908") make the column string: they are
  identifiers, phone numbers or codes. "0" alone is a number.
- Whole numbers beyond BIGINT in an all-whole-number column make it string (identifiers;
  DOUBLE would silently round them).
- Dates: the format that fits most values wins; ties go to the earlier of
  :data:`.typesql.DATE_FORMATS`, so day-first beats month-first and the note says when both
  fit.
"""

from __future__ import annotations

from commonground.datastore import counting
from commonground.datastore.counting import COLUMNS_PER_QUERY, Counts, Hypothesis
from commonground.datastore.errors import IngestError, Limits
from commonground.datastore.report import BadValue, ColumnReport, ValidationReport
from commonground.datastore.sqlquote import identifier
from commonground.datastore.typesql import (
    ISO_8601,
    SQL_TYPES,
    TYPES,
    clean_sql,
    declared_type,
    type_formats,
    typed_from_text_sql,
    typed_sql,
)

__all__ = [
    "COLUMNS_PER_QUERY",
    "MIXED_TYPE_SHARE",
    "TYPES",
    "BLANK",
    "BadValue",
    "ColumnReport",
    "ValidationReport",
    "cast_select_list",
    "declared_type",
    "infer_and_validate",
    "infer_validate_and_cast",
    "split_override",
]

#: Suffix of an override that keeps a type and leaves the values that do not fit it empty
#: ("integer:blank"), rather than refusing the file.
BLANK = ":blank"

# Share of a column's (non-null) values that must fit a narrower type for the column to get
# that type although some values do not ("mixed types": a count column with a few "approx 5"
# cells). The rest are reported as bad values; the user sees them and can override to string.
MIXED_TYPE_SHARE = 0.95

# Below this share of values fitting a narrower type, a text column gets no note about it.
_NEAR_MISS_SHARE = 0.5

# --- entry points ----------------------------------------------------------------------------


def infer_and_validate(
    con,
    columns: list[str],
    *,
    declared_types: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> ValidationReport:
    """Infer a type for each of ``columns`` of the staged table ``raw`` and validate it.

    con:            DuckDB connection holding ``raw`` (see the module docstring).
    columns:        the data columns, in order (not ``_row`` or ``_geometry``).
    declared_types: column -> type from a typed source (our names or DuckDB/Arrow names);
                    trusted (used as the inferred type), but every value is still checked.
    overrides:      column -> one of :data:`TYPES`, chosen by the user; wins over both.
                    ``"<type>:blank"`` also leaves the values that do not fit empty.
    limits:         ``max_error_rows`` bounds the bad values listed per column.

    Raises IngestError for an override naming an unknown column or type.
    """
    return _validate(con, columns, declared_types, overrides, limits, cast=False)


def infer_validate_and_cast(
    con,
    columns: list[str],
    *,
    declared_types: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> ValidationReport:
    """:func:`infer_and_validate`, and when the report is ok also create the table ``typed``.

    ``typed`` is what ``CREATE TABLE typed AS SELECT <cast_select_list(report)> FROM raw
    ORDER BY _row`` gives, built while validating, so that each value is read as its type
    once. When the report is not ok there is no table ``typed``.
    """
    return _validate(con, columns, declared_types, overrides, limits, cast=True)


def _validate(con, columns: list[str], declared_types: dict[str, str] | None,
              overrides: dict[str, str] | None, limits: Limits, cast: bool) -> ValidationReport:
    """The steps of the module docstring."""
    declared = {k: declared_type(v) for k, v in (declared_types or {}).items()}
    _check_overrides(columns, dict(overrides or {}))
    split = {name: split_override(value) for name, value in (overrides or {}).items()}
    overrides = {name: type_ for name, (type_, _) in split.items()}
    blank = {name for name, (_, b) in split.items() if b}
    wanted, infer = _candidates(columns, declared, overrides)
    rows, sample = counting.sample_source(con)
    has_geometry = bool(con.execute(
        "SELECT count(*) FROM (DESCRIBE raw) WHERE column_name = '_geometry'").fetchone()[0])
    everything = list(range(len(columns)))
    counts = counting.count_candidates(con, columns, everything, wanted, infer,
                                       source=sample or "raw")
    kinds: list[tuple[str, str | None]] = []
    if cast:  # typed as the sample says; rebuilt below in the rare case the full table differs
        kinds = [(r.type, r.format) for r in _reports(columns, counts, declared, overrides, rows)]
        _create_typed(con, columns, kinds, has_geometry)
    if sample is not None:
        hypotheses = {}
        for i, name in enumerate(columns):
            h = _hypothesis(counts[i], declared.get(name), overrides.get(name))
            if h is not None:
                hypotheses[i] = h
        in_typed = {i for i, h in hypotheses.items() if kinds and kinds[i] == (h.type, h.format)}
        checked = counting.check_hypotheses(con, columns, hypotheses, in_typed)
        counts = {i: c for i, c in checked.items() if _confirmed(hypotheses[i], c)}
        rest = [i for i in everything if i not in counts]
        counts.update(counting.count_candidates(con, columns, rest, wanted, infer))

    reports = _reports(columns, counts, declared, overrides, rows)
    _empty_impossible_dates(con, columns, reports, limits)
    bad = {i: (r.type, r.format) for i, r in enumerate(reports) if r.bad_count}
    for i, found in counting.first_bad_values(con, columns, bad, limits.max_error_rows).items():
        reports[i].bad_values = found
    _blank_misfits(reports, blank)
    report = ValidationReport(columns=reports, row_count=rows, has_geometry=has_geometry)
    if cast and not report.ok:
        con.execute("DROP TABLE typed")
    elif cast and kinds != [(r.type, r.format) for r in reports]:
        _create_typed(con, columns, [(r.type, r.format) for r in reports], has_geometry)
    return report


def _empty_impossible_dates(con, columns: list[str], reports: list[ColumnReport],
                            limits: Limits) -> None:
    """A date column's values written as its format writes dates but naming no day
    ("0000-00-00", a database's zero date; "2021-02-30") are left empty and listed by row,
    not counted as bad values: one such cell no longer refuses a whole file. (They are NULL
    in ``typed`` already, as every value that does not fit is.)"""
    dates = {i: (r.type, r.format) for i, r in enumerate(reports)
             if r.bad_count and r.type in ("date", "datetime") and r.format}
    for i, (count, first) in counting.impossible_dates(con, columns, dates,
                                                       limits.max_error_rows).items():
        if not count:
            continue
        r = reports[i]
        r.bad_count -= count
        r.non_null -= count
        r.nulls += count
        r.emptied, r.emptied_values = count, first
        said = (f"{count:,} impossible date{'s' if count != 1 else ''} (such as "
                f"“{first[0].value if first else ''}”) left empty, row{'s' if count != 1 else ''} "
                "listed")
        # the inference note counted them among the values that do not fit: count again
        note = (r.note or "").replace(_mostly_note(r.type, r.bad_count + count),
                                      _mostly_note(r.type, r.bad_count) if r.bad_count else "")
        r.note = "; ".join(p for p in (note.strip("; "), said) if p)


def split_override(value: str) -> tuple[str, bool]:
    """An override's (type, whether the values that do not fit it are left empty)."""
    if value.endswith(BLANK):
        return value[:-len(BLANK)], True
    return value, False


def _blank_misfits(reports: list[ColumnReport], blank: set[str]) -> None:
    """The columns the user chose to keep typed with the values that do not fit left empty:
    those values (NULL in ``typed`` already) move from the bad values to ``blanked``."""
    for r in reports:
        if r.name not in blank:
            continue
        r.blank = True
        if not r.bad_count:
            continue
        count = r.blanked = r.bad_count
        r.blanked_values, r.bad_values, r.bad_count = r.bad_values, [], 0
        r.non_null -= count
        r.nulls += count
        said = (f"{count:,} value{'s' if count != 1 else ''} that "
                f"{'do' if count != 1 else 'does'} not fit {r.type} left empty as asked, "
                f"row{'s' if count != 1 else ''} listed")
        note = (r.note or "").replace(_mostly_note(r.type, count), "")
        r.note = "; ".join(p for p in (note.strip("; "), said) if p)


def _candidates(columns: list[str], declared: dict[str, str], overrides: dict[str, str]
                ) -> tuple[list[list[tuple[str, str | None]]], list[bool]]:
    """Per column, the (type, format) pairs to count, and whether its type is inferred."""
    wanted: list[list[tuple[str, str | None]]] = []
    infer: list[bool] = []
    for name in columns:
        if name in declared:
            types = {declared[name], overrides.get(name, declared[name])}
            infer.append(False)
        else:
            types = set(TYPES)
            infer.append(True)
        wanted.append([(t, f) for t in TYPES if t in types and t != "string"
                       for f in type_formats(t)])
    return wanted, infer


# --- the typed table -------------------------------------------------------------------------


def cast_select_list(report: ValidationReport) -> str:
    """The select-list that turns ``raw`` into typed columns, every column in order.

    Use as ``CREATE TABLE typed AS SELECT <list> FROM raw ORDER BY _row``. Null tokens and
    values that do not fit (the report's bad values) become NULL; string columns are copied
    unchanged.
    """
    items = ['"_row"']
    for col in report.columns:
        quoted = identifier(col.name)
        if col.type == "string":
            items.append(quoted)
        else:
            typed = typed_sql(clean_sql(quoted), col.type, col.format)
            items.append(f"CAST({typed} AS {SQL_TYPES[col.type]}) AS {quoted}")
    if report.has_geometry:
        items.append('"_geometry"')
    return ", ".join(items)


def _create_typed(con, columns: list[str], kinds: list[tuple[str, str | None]],
                  has_geometry: bool) -> None:
    """(Re)create ``typed`` from ``raw``, column i as ``kinds[i]`` (type, format), in ``_row``
    order: the table :func:`cast_select_list` gives, but reading each value as its type once
    (:func:`.typesql.typed_from_text_sql`) and sorting only if it is out of order."""
    inner, outer = ['"_row"'], ['"_row"']
    for i, (type_, fmt) in enumerate(kinds):
        quoted = identifier(columns[i])
        inner.append(f"{quoted} AS c{i}")
        if type_ == "string":
            outer.append(f"c{i} AS {quoted}")
        else:
            inner.append(f"{typed_sql(quoted, type_, fmt)} AS a{i}")
            typed = typed_from_text_sql(f"c{i}", f"a{i}", type_, fmt)
            outer.append(f"CAST({typed} AS {SQL_TYPES[type_]}) AS {quoted}")
    if has_geometry:
        inner.append('"_geometry"')
        outer.append('"_geometry"')
    con.execute(f"CREATE OR REPLACE TABLE typed AS SELECT {', '.join(outer)} "
                f"FROM (SELECT {', '.join(inner)} FROM raw)")
    # One CREATE TABLE AS keeps its source's order (DuckDB's preserve_insertion_order, on by
    # default) and the readers stage raw in _row order, so this sort is a safety net.
    # (Compared with the sorted rows, not by rowid: a data column may be called rowid.)
    out_of_order = con.execute(
        "SELECT count(*) FROM (SELECT _row FROM typed) POSITIONAL JOIN "
        "(SELECT _row AS _sorted FROM typed ORDER BY _row) WHERE _row <> _sorted").fetchone()[0]
    if out_of_order:
        con.execute("CREATE OR REPLACE TABLE cg_typed_sorted AS "
                    "SELECT * FROM typed ORDER BY _row")
        con.execute("DROP TABLE typed")
        con.execute("ALTER TABLE cg_typed_sorted RENAME TO typed")


# --- the rules -------------------------------------------------------------------------------


def _best_format(counts: Counts, type_: str) -> str | None:
    """The format of ``type_`` that fits most values; ties go to the earlier (preferred) one."""
    formats = type_formats(type_)
    return max(formats, key=lambda f: (counts.fits.get((type_, f), 0), -formats.index(f)))


def _infer(counts: Counts) -> tuple[str, str | None, str | None]:
    """The (type, format, note) the counts suggest; see the module docstring for the rules."""
    n = counts.values
    if n == 0:
        return "string", None, None
    candidates = [(t, _best_format(counts, t)) for t in TYPES[:-1]]
    fit = {t: counts.fits.get((t, f), 0) for t, f in candidates}
    exact = [(t, f) for t, f in candidates if fit[t] == n]
    if exact:
        type_, fmt = exact[0]
        note = None
    else:
        type_, fmt = max(candidates, key=lambda c: fit[c[0]])  # first of equals: narrowest
        share = fit[type_] / n
        if share < MIXED_TYPE_SHARE:
            note = None
            if share >= _NEAR_MISS_SHARE:
                note = (f"kept as text: only {fit[type_]:,} of {n:,} values "
                        f"({share:.0%}) are {type_}")
            return "string", None, note
        note = _mostly_note(type_, n - fit[type_])
    if type_ in ("integer", "number") and counts.leading_zeros:
        return "string", None, "kept as text: values have leading zeros (identifiers)"
    whole = counts.fits.get(("integer", None), 0) + counts.too_big
    if type_ == "number" and counts.too_big and whole == counts.fits.get(("number", None), 0):
        return "string", None, "kept as text: whole numbers too large for a 64-bit integer"
    return type_, fmt, note


def _mostly_note(type_: str, bad: int) -> str:
    return (f"mostly {type_}: {bad:,} value{'s' if bad != 1 else ''} that "
            f"{'do' if bad != 1 else 'does'} not fit {'are' if bad != 1 else 'is'} "
            f"listed; override to string to keep the column as text")


def _swapped(fmt: str | None) -> str | None:
    """The month-first reading of a day-first format ("%d/%m/%Y" -> "%m/%d/%Y"), else None."""
    if fmt and fmt.startswith("%d"):
        return "%m" + fmt[2:3] + "%d" + fmt[5:]
    return None


def _format_note(counts: Counts, type_: str, fmt: str | None) -> str | None:
    """Tell the user how dates were read: day-first (and whether month-first also fits)."""
    if fmt is None or fmt == ISO_8601:
        if fmt == ISO_8601 and counts.zoned:
            return "times with a UTC offset converted to UTC"
        return None
    if fmt.startswith("%d"):
        note = "dates read as day/month/year"
        mine = counts.fits.get((type_, fmt), 0)
        if mine and counts.fits.get((type_, _swapped(fmt)), 0) >= mine:
            note += " (month/day/year would also fit every value)"
        return note
    if fmt.startswith("%m"):
        return "dates read as month/day/year"
    return None


def _check_overrides(columns: list[str], overrides: dict[str, str]) -> None:
    known = set(columns)
    for name, value in overrides.items():
        if name not in known:
            raise IngestError(f"cannot set the type of {name!r}: there is no such column",
                              column=name)
        type_, blank = split_override(value)
        if type_ not in TYPES:
            raise IngestError(f"unknown type {value!r}; use one of {', '.join(TYPES)}, or a "
                              f"type but string followed by {BLANK!r} to leave the values "
                              "that do not fit it empty", column=name)
        if blank and type_ == "string":
            raise IngestError(f"{value!r}: every value fits string, so there is nothing to "
                              "leave empty", column=name)


def _reports(columns: list[str], counts: dict[int, Counts], declared: dict[str, str],
             overrides: dict[str, str], row_count: int) -> list[ColumnReport]:
    """Each column's report from its counts (bad values not yet listed)."""
    reports = []
    for i, name in enumerate(columns):
        c = counts[i]
        note: str | None
        if name in declared:
            inferred = declared[name]
            inferred_fmt = _best_format(c, inferred)
            note = "type declared by the source file"
        else:
            inferred, inferred_fmt, note = _infer(c)
        type_ = overrides.get(name, inferred)
        fmt = inferred_fmt if type_ == inferred else _best_format(c, type_)
        format_note = _format_note(c, type_, fmt)
        if type_ != inferred:
            note = format_note
        elif format_note:
            note = f"{note}; {format_note}" if note else format_note
        if type_ == "string":
            non_null, bad_count = c.present, 0
        else:
            non_null, bad_count = c.values, c.values - c.fits[(type_, fmt)]
        reports.append(ColumnReport(
            name=name, inferred=inferred, type=type_, overridden=name in overrides,
            non_null=non_null, nulls=row_count - non_null, bad_count=bad_count,
            bad_values=[], note=note, format=fmt,
        ))
    return reports


# --- sample, then confirm --------------------------------------------------------------------


def _hypothesis(counts: Counts, declared: str | None, override: str | None
                ) -> Hypothesis | None:
    """What the sample's ``counts`` say the whole column is, as something one pass can
    confirm; None when only the full count can decide (see the module docstring)."""
    n = counts.values
    if declared is None:
        fitting = [(t, f) for t in TYPES[:-1] for f in type_formats(t)
                   if n and counts.fits.get((t, f), 0) == n]
        if not fitting:
            best = max(counts.fits.values(), default=0)
            text = override in (None, "string") and (n == 0 or best < n * _NEAR_MISS_SHARE)
            return Hypothesis("string", could_fit=True) if text else None
        type_, fmt = fitting[0]
    elif declared == "string":
        return Hypothesis("string") if override in (None, "string") else None
    else:
        formats = [f for f in type_formats(declared) if counts.fits.get((declared, f), 0) == n]
        if not formats:
            return None
        type_, fmt = declared, formats[0]
    if override not in (None, "string", type_):
        return None
    swapped = _swapped(fmt)
    inferring = declared is None
    return Hypothesis(
        type_, fmt,
        also=(swapped,) if swapped and counts.fits.get((type_, swapped), 0) == n else (),
        leading_zeros=inferring and type_ in ("integer", "number"),
        whole=(inferring and type_ == "number"
               and counts.fits.get(("integer", None), 0) + counts.too_big == n),
        zoned=inferring and fmt == ISO_8601,
    )


def _confirmed(h: Hypothesis, counts: Counts) -> bool:
    """Whether the whole column's ``counts`` bear ``h`` out; then they give the same report
    as the full count would (module docstring, step 2)."""
    if h.type != "string":
        return counts.fits[(h.type, h.format)] == counts.values
    if not h.could_fit:
        return True
    # Every type fits under half of the values, so no type fits enough: text, no note.
    return counts.values == 0 or counts.could_fit < counts.values * _NEAR_MISS_SHARE
