"""Loading into the database: idempotent, and all-or-nothing."""

import json
import shutil

import pytest

from commonground.geography.errors import DataError
from commonground.places.loading import load_places
from commonground.places.models import Area, IndicatorTable, LoadRun


def _values_stored() -> int:
    return sum(len(table.keys) * len(table.codes) for table in IndicatorTable.objects.all())


def test_loading_twice_is_safe_and_skips_unchanged_files(loaded, data_dir):
    before = (Area.objects.count(), _values_stored(), LoadRun.objects.count())
    result = load_places(data_dir)
    assert result.skipped
    assert (Area.objects.count(), _values_stored(), LoadRun.objects.count()) == before
    assert before[0] == 1 + 152 + 166 + 32 + 35 + 788 + 19


def test_a_failed_load_changes_nothing(loaded, data_dir, tmp_path):
    broken = tmp_path / "city"
    shutil.copytree(data_dir, broken)
    for f in broken.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    (broken / "census2021" / "mk_census21_ts038_disability_lsoa21.csv").write_text("lsoa21_code,total_residents\nE01016710,many\n")
    run = LoadRun.objects.get()
    values = _values_stored()
    with pytest.raises(DataError, match="mk_census21_ts038_disability_lsoa21.csv"):
        load_places(broken)
    assert LoadRun.objects.get() == run and _values_stored() == values


def test_a_forced_reload_replaces_everything_in_one_go(loaded, data_dir, tmp_path):
    moved = tmp_path / "city"
    shutil.copytree(data_dir, moved)
    for f in moved.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    manifest = json.loads((moved / "datapackage.json").read_text())
    manifest["resources"] = [r for r in manifest["resources"] if r["role"] != "postcodes"]
    (moved / "datapackage.json").write_text(json.dumps(manifest))
    result = load_places(moved)
    assert not result.skipped and result.run.summary["postcodes"] == 0
    assert LoadRun.objects.count() == 1
