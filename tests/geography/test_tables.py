"""Reading a package's CSV files: Arrow's reader for speed, the same values as reading cell by
cell, and the cell-by-cell error (file, row, column) whenever Arrow will not take a file."""

from __future__ import annotations

import dataclasses
import math

import pytest

from commonground.geography.errors import DataError
from commonground.geography.manifest import load_manifest
from commonground.geography.tables import _read_cell_by_cell, _read_with_arrow, read_table


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def test_every_csv_of_the_city_reads_the_same_with_arrow_as_cell_by_cell(data_dir):
    manifest = load_manifest(data_dir)
    tables = [r for r in manifest.resources if r.format == "csv"]
    assert len(tables) >= 20
    for r in tables:
        fast = _read_with_arrow(manifest.path_of(r), r, ())
        slow = _read_cell_by_cell(manifest.path_of(r), r, ())
        assert fast is not None, r.name
        assert fast.names == slow.names, r.name
        for name in slow.names:
            assert len(fast.columns[name]) == len(slow.columns[name])
            assert all(_same(a, b) for a, b in zip(fast.columns[name], slow.columns[name], strict=True)), \
                (r.name, name)


@pytest.fixture
def tenure(data_dir, tmp_path):
    manifest = load_manifest(data_dir)
    [r] = [r for r in manifest.resources if r.name == "census21-tenure"]
    copy = tmp_path / r.path
    copy.parent.mkdir(parents=True)
    copy.write_bytes(manifest.path_of(r).read_bytes())
    (tmp_path / "datapackage.json").write_bytes((data_dir / "datapackage.json").read_bytes())
    return manifest, r, copy


def test_a_bad_cell_is_named_by_row_and_column_as_before(tenure, tmp_path):
    manifest, r, copy = tenure
    lines = copy.read_text().splitlines()
    cells = lines[6].split(",")
    cells[3] = "twelve"
    lines[6] = ",".join(cells)
    copy.write_text("\n".join(lines) + "\n")
    header = lines[0].split(",")
    assert _read_with_arrow(copy, r, ()) is None
    with pytest.raises(DataError, match=rf"row 7, column '{header[3]}': 'twelve' is not a valid"):
        read_table(dataclasses.replace(manifest, root=tmp_path), r)


def test_a_short_row_is_named_as_before(tenure, tmp_path):
    manifest, r, copy = tenure
    lines = copy.read_text().splitlines()
    lines[9] = lines[9].rsplit(",", 1)[0]
    copy.write_text("\n".join(lines) + "\n")
    assert _read_with_arrow(copy, r, ()) is None
    with pytest.raises(DataError, match=r"row 10: has \d+ cells but the header has"):
        _read_cell_by_cell(copy, r, ())


def test_an_empty_line_is_named_as_before_not_skipped(tenure):
    _manifest, r, copy = tenure
    lines = copy.read_text().splitlines()
    lines.insert(3, "")
    copy.write_text("\n".join(lines) + "\n")
    assert _read_with_arrow(copy, r, ()) is None
    with pytest.raises(DataError, match=r"row 4: has 0 cells but the header has"):
        _read_cell_by_cell(copy, r, ())
