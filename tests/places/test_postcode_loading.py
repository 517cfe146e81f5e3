"""A national postcode list (England: 2.2 million rows, 348 MB) loads without one Python object
per cell: the rows are read a block at a time as columns and written to the database in
batches. Measured in ``benchmarks/postcodes.py``; here a city package whose postcode file is
made 200,000 rows long."""

from __future__ import annotations

import csv
import json
import tracemalloc

import pytest

from commonground.geography.city import load_city
from commonground.geography.errors import DataError

EXTRA = 200_000


def _package(data_dir, target, rows_of):
    """The city package (its files linked) with its postcode file replaced by ``rows_of``'s."""
    manifest = json.loads((data_dir / "datapackage.json").read_text())
    resource = next(r for r in manifest["resources"] if r["role"] == "postcodes")
    for r in manifest["resources"]:
        if r is not resource:
            (target / r["path"]).parent.mkdir(parents=True, exist_ok=True)
            (target / r["path"]).symlink_to(data_dir / r["path"])
    with open(data_dir / resource["path"], newline="") as handle:
        reader = csv.reader(handle)
        header, rows = next(reader), list(reader)
    resource["path"] = "postcodes.csv"
    (target / "datapackage.json").write_text(json.dumps(manifest))
    with open(target / "postcodes.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows_of(header, rows))
    return target


def _longer(header, rows):
    """The published rows, then EXTRA more copied from them under new postcodes."""
    yield from rows
    for i in range(EXTRA):
        row = list(rows[i % len(rows)])
        row[header.index("pcds")] = f"X{i:07d}"
        yield row


@pytest.fixture(scope="module")
def long_package(data_dir, tmp_path_factory):
    return _package(data_dir, tmp_path_factory.mktemp("long"), _longer)


def _python_peak(data_dir) -> int:
    tracemalloc.start()
    try:
        load_city(data_dir)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_postcode_list_costs_no_python_object_per_cell(data_dir, long_package):
    # one object per cell was about 1.4 KB a row (England: 25 s and 3 GB for the postcodes)
    per_row = (_python_peak(long_package) - _python_peak(data_dir)) / EXTRA
    assert per_row < 100, f"{per_row:,.0f} bytes of Python objects a postcode"


def test_every_postcode_of_a_long_list_keeps_its_neighbourhood_and_position(city, long_package):
    long = load_city(long_package)
    assert len(long.postcodes) == len(city.postcodes) + EXTRA
    published = list(city.postcodes)
    for i, p in enumerate(long.postcodes):
        q = published[i if i < len(published) else (i - len(published)) % len(published)]
        expected = q.postcode if i < len(published) else f"X{i - len(published):07d}"
        assert (p.postcode, p.lon, p.lat, p.area_code, p.terminated) == (
            expected, q.lon, q.lat, q.area_code, q.terminated)


def test_a_long_postcode_list_is_stored(db, long_package):
    from commonground.places.cache import clear
    from commonground.places.loading import load_places
    from commonground.places.models import Postcode

    city = load_city(long_package)
    try:
        run = load_places(long_package).run
        assert run.summary["postcodes"] == Postcode.objects.count() == len(city.postcodes)
        with_area = sum(p.area_code is not None for p in city.postcodes)
        assert Postcode.objects.filter(area__isnull=False).count() == with_area
        row = Postcode.objects.select_related("area").get(compact="X0000001")
        second = list(city.postcodes)[1]
        assert (row.postcode, row.longitude, row.latitude, row.area and row.area.code, row.terminated) == (
            "X0000001", second.lon, second.lat, second.area_code, second.terminated)
    finally:
        clear()


def test_a_bad_cell_in_the_postcode_file_is_named(data_dir, tmp_path):
    def broken(header, rows):
        for i, row in enumerate(rows):
            if i == 7000:
                row = list(row)
                row[header.index("lat")] = "north"
            yield row

    with pytest.raises(DataError) as caught:
        load_city(_package(data_dir, tmp_path, broken))
    assert "postcodes.csv" in str(caught.value) and "row 7002" in str(caught.value)
    assert "lat" in str(caught.value) and "'north'" in str(caught.value)


def test_cells_arrow_will_not_take_are_read_as_before(city, data_dir, tmp_path):
    def decimals(header, rows):  # "199201.0" is an integer to the row-by-row reader
        for row in rows:
            row = list(row)
            row[header.index("dointr")] = row[header.index("dointr")] + ".0"
            yield row

    again = load_city(_package(data_dir, tmp_path, decimals))
    assert list(again.postcodes) == list(city.postcodes)


def test_the_gazetteer_holds_the_postcodes_as_one_table_the_linker_joins(loaded):
    import numpy as np

    from commonground.catalogue.gazetteer import build
    from commonground.geography.projection import lonlat_to_bng
    from commonground.places.models import Postcode

    places = build(loaded)
    table = places.postcode_table()
    assert places.has_postcodes and not places.postcodes  # no dict entry per postcode
    stored = {p.compact: p for p in Postcode.objects.select_related("area")}
    assert table.num_rows == len(stored)
    for compact, base, e, n in zip(*(table.column(c).to_pylist() for c in ("compact", "base", "e", "n")),
                                   strict=True):
        p = stored[compact]
        assert (places.base_codes[base] if base >= 0 else None) == (p.area.code if p.area else None)
        if p.longitude is None:
            assert np.isnan(e) and np.isnan(n)
        else:
            x, y = lonlat_to_bng(np.array([p.longitude]), np.array([p.latitude]))
            assert (e, n) == pytest.approx((x[0], y[0]))
