"""What changed between two published versions of a real CSV (issue 21, "Publishing that
forgives"): a column's type changed and two cells were edited, and the comparison says
exactly that, not that every row changed.

Run with ``.venv/bin/python -m pytest tests/datastore/test_diff_real.py -q``.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from commonground.datastore.diff import diff_versions, type_change_note

pytestmark = pytest.mark.django_db

RESOURCE = "census21-age"  # read via the manifest: a code column and integer counts
RETYPED = "total_residents"  # published as text in the second version


def _real_csv(data_dir) -> list[list[str]]:
    manifest = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    entry = next(r for r in manifest["resources"] if r["name"] == RESOURCE)
    with open(data_dir / entry["path"], newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _write(path, rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_type_change_and_two_edited_cells_are_reported_as_such(
        data_dir, make_dataset, ingest_path, tmp_path, client):
    rows = _real_csv(data_dir)
    header = rows[0]
    edited = [r[:] for r in rows]
    first, second = 5, 40  # two rows, two other columns
    edited[first][3] = str(int(edited[first][3]) + 10)
    edited[second][5] = ""
    dataset = make_dataset("age-by-area")
    job1 = ingest_path(dataset, _write(tmp_path / "age.csv", rows), name="Age")
    job2 = ingest_path(dataset, _write(tmp_path / "age2.csv", edited),
                       resource=job1.resource, overrides={RETYPED: "string"})
    assert job2.version.number == 2
    result = diff_versions(job1.version.parquet_path, job2.version.parquet_path)
    n = len(rows) - 1
    assert result["key"] == header[0]  # the code column: unique in both versions
    assert result["columns"]["type_changed"] == [{"name": RETYPED, "old": "integer",
                                                  "new": "string"}]
    assert result["rows"] == {"old": n, "new": n, "added": 0, "removed": 0, "changed": 2,
                              "unchanged": n - 2}
    assert result["changed_columns"] == {header[3]: 1, header[5]: 1}
    by_key = sorted([(rows[first][0], header[3], int(rows[first][3]), int(edited[first][3])),
                     (rows[second][0], header[5], int(rows[second][5]), None)])
    assert [(c["key"], cell["column"], cell["old"], cell["new"])
            for c in result["changed_cells"] for cell in c["cells"]] == by_key
    assert result["notes"] == [type_change_note(RETYPED, "integer", "string")]

    url = reverse("catalogue:diff", args=[dataset.name, job1.resource_id])
    page = client.get(url).content.decode()
    assert "Changed values" in page and rows[first][0] in page
    assert page.count(f"The type of column “{RETYPED}” changed") == 1
    by_row = client.get(url, {"key": "_row"}).content.decode()
    assert 'value="_row" selected' in by_row and "Rows matched by their place in the file" in by_row
