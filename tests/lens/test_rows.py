"""A lens result keeps its per-area rows as columns and reads, writes and exports them as
the dicts the lens always gave (``lens.rows``)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np
import pytest
import shapely

from commonground.lens import deprivation
from commonground.lens.compute import LensOptions, jsonable, run_lens
from commonground.lens.inputs import City, GroupTable, Measure
from commonground.lens.people import population_points
from commonground.lens.rows import LazyRows, iter_json, json_default
from commonground.lens.tables import _cell, csv_chunks, tables, write_csv

OPTIONS = LensOptions(draws=500, permutations=99)


def _city(side: int) -> City:
    """A side × side grid of 500 m squares, two Census tables (two and three groups)."""
    n = side * side
    rng = np.random.default_rng(side)
    x0, y0 = (np.arange(n) % side) * 500.0, (np.arange(n) // side) * 500.0
    population = rng.integers(1200, 2400, n).astype(float)
    rank = rng.permutation(n) * 10 + 1.0
    minority = np.round(population * np.linspace(0.05, 0.4, n))
    young = np.round(population * rng.uniform(0.1, 0.3, n))
    old = np.round(population * rng.uniform(0.1, 0.3, n))
    codes = tuple(f"A{i:05d}" for i in range(n))
    tables_ = (GroupTable(key="ethnic", title="Ethnic group", universe="residents",
                          labels=("Minority", "Majority"),
                          counts=np.column_stack([minority, population - minority]),
                          totals=population),
               GroupTable(key="age", title="Age", universe="residents",
                          labels=("-15 (young)", "Working age", "65 and over"),
                          counts=np.column_stack([young, population - young - old, old]),
                          totals=population))
    dep = deprivation.edition("iod", "Test IoD", 2025, "base", np.ceil(rank / (n * 10 / 10)),
                              rank, None)
    return City(name="Testville", base_geography="base", area_codes=codes,
                area_names=tuple(f"=Area {c}" for c in codes), population=population,
                population_source="synthetic",
                geometries=shapely.box(x0, y0, x0 + 500, y0 + 500), deprivation=(dep,),
                groups=tables_, people=population_points(np.column_stack([x0, y0]) + 250))


def _lens(city: City, *, threshold: int | None = None, filters=()) -> dict:
    counts = np.random.default_rng(1).poisson(city.population / 300).astype(float)
    counts[:3] = [0.0, 1.0, 2.0]
    measure = Measure(kind="count", label="clinics", unit="rows", per_area=counts,
                      points_xy=np.empty((0, 2)), rows_total=int(counts.sum()),
                      rows_in_areas=int(counts.sum()), filters=tuple(filters))
    return run_lens(city, measure, replace(OPTIONS, threshold=threshold))


def _per_area(result: dict) -> list:
    return [t["areas"] for t in result["disparity"]["tables"]] + [result["where"]["areas"]]


def _held(obj) -> tuple[int, int]:
    """(dicts, bytes of NumPy arrays) held by a result, walking its containers and the
    attributes of its row sequences (the city's codes and names are shared, not counted)."""
    if isinstance(obj, np.ndarray):
        return 0, obj.nbytes
    if isinstance(obj, LazyRows):
        parts = [_held(v) for k, v in vars(obj).items() if k not in ("codes", "names")]
    elif isinstance(obj, dict):
        parts = [(1, 0)] + [_held(v) for v in obj.values()]
    elif isinstance(obj, list | tuple):
        parts = [_held(v) for v in obj]
    else:
        return 0, 0
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def test_a_kept_result_holds_its_area_rows_as_columns_not_a_dict_an_area():
    small, large = (_lens(_city(side)) for side in (8, 24))  # 64 and 576 areas
    for result in (small, large):
        assert all(isinstance(rows, LazyRows) for rows in _per_area(result))
    (dicts_small, bytes_small), (dicts_large, bytes_large) = _held(small), _held(large)
    assert dicts_large == dicts_small  # nine times the areas, not one dict more
    # numbers in arrays, 8 bytes each: each table's 9 fields and its groups (2 and 3), the
    # map's 4 columns: 27 an area
    per_area = (bytes_large - bytes_small) / (576 - 64)
    assert 0 < per_area <= 8 * 27


@pytest.mark.parametrize("threshold", [None, 3])
def test_rows_read_as_the_dicts_the_lens_gives(threshold):
    result = _lens(_city(8), threshold=threshold)
    for rows in _per_area(result):
        plain = list(rows)
        assert len(rows) == len(plain) == 64 and rows == plain and plain == rows
        assert rows[0] == plain[0] and rows[-1] == plain[-1] and rows[5:9] == plain[5:9]
        assert rows[::7] == plain[::7]
        with pytest.raises(IndexError):
            rows[64]
    areas = result["disparity"]["tables"][1]["areas"]
    row = next(r for r in areas if "suppressed" not in r)
    assert list(row) == ["code", "points", "data_share", "population_share", "difference_pp",
                         "low_pp", "high_pp", "p_value", "groups", "name", "q_value"]
    assert list(row["groups"]) == ["-15 (young)", "Working age", "65 and over"]
    if threshold:  # hidden areas say so, their figures gone, their baseline kept
        hidden = [r for r in areas if r.get("suppressed")]
        assert hidden and all(r["points"] is None and r["groups"] == {} and
                              r["population_share"] is not None and r["q_value"] is None
                              for r in hidden)


@pytest.mark.parametrize("threshold", [None, 3])
def test_the_result_writes_as_the_json_of_its_plain_rows(threshold):
    result = _lens(_city(8), threshold=threshold, filters=("kind = fast",))
    plain = jsonable(result)  # every row built, as a list
    assert plain == result and not any(isinstance(r, LazyRows) for r in _per_area(plain))
    for ensure_ascii in (True, False):
        text = "".join(iter_json(result, ensure_ascii=ensure_ascii))
        assert text == json.dumps(plain, ensure_ascii=ensure_ascii)
    assert json.dumps(result, default=json_default) == json.dumps(plain)
    for name, (columns, rows) in tables(result).items():
        table = {"table": name, "columns": columns, "rows": rows}
        assert "".join(iter_json(table)) == json.dumps({**table, "rows": list(rows)})


@pytest.mark.parametrize("threshold", [None, 3])
@pytest.mark.parametrize("filters", [(), ("kind = fast",)])
def test_every_csv_export_is_the_csv_of_its_rows_written_one_by_one(threshold, filters):
    """The per-area tables are written from their columns, a chunk at a time; the text is
    what writing each row's dict gives (None empty, formula-like text quoted with ')."""
    result = _lens(_city(8), threshold=threshold, filters=filters)
    for columns, rows in tables(result).values():
        expected = io.StringIO()
        writer = csv.DictWriter(expected, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in list(rows):
            writer.writerow({k: _cell(row.get(k)) for k in columns})
        written = io.StringIO()
        write_csv(written, columns, rows)
        assert written.getvalue() == expected.getvalue() == "".join(csv_chunks(columns, rows))
    columns, rows = tables(result)["disparity-areas"]
    read = list(csv.DictReader(io.StringIO("".join(csv_chunks(columns, rows)))))
    assert len(read) == len(rows) == sum(1 if a.get("suppressed") else len(a["groups"])
                                         for t in result["disparity"]["tables"]
                                         for a in t["areas"])
    assert {r["name"][:2] for r in read} == {"'="}  # names start with "=": quoted
    assert "'-15 (young)" in {r["group"] for r in read}
