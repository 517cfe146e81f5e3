"""``commonground ingest``: the same ingest as the web page, with a progress bar."""

from __future__ import annotations

import pytest

from commonground.catalogue.models import IngestJob, Resource
from commonground.cli import main

pytestmark = pytest.mark.django_db


def test_ingest_makes_a_version_and_shows_progress(loaded, make_dataset, data_dir, capsys):
    make_dataset("schools")
    path = data_dir / "points" / "mk_schools_gias_2025-05.csv"
    assert main(["ingest", str(path), "--dataset", "schools", "--resource", "Open schools"]) == 0
    out, err = capsys.readouterr()
    assert "schools / Open schools: version 1, 125 rows, 125 linked to places" in out
    assert "[##############################] 100.0%" in err and "Linking rows to places" in err
    assert main(["ingest", str(path), "--dataset", "schools", "--resource", "Open schools"]) == 0
    assert Resource.objects.get().current_version.number == 2


def test_ingest_reports_bad_values_and_takes_type_overrides(loaded, make_dataset, tmp_path,
                                                            capsys):
    make_dataset("counts")
    path = tmp_path / "counts.csv"
    path.write_text("site,count\n" + "".join(f"S{i},{i}\n" for i in range(40)) + "S40,lots\n")
    assert main(["ingest", str(path), "--dataset", "counts"]) == 4
    err = capsys.readouterr().err
    assert "count (integer): 1 bad: row 42 'lots'" in err and "nothing was changed" in err
    assert main(["ingest", str(path), "--dataset", "counts", "--type", "count=string"]) == 0
    assert IngestJob.objects.filter(status="done").count() == 1


def test_ingest_errors(loaded, make_dataset, tmp_path, capsys):
    assert main(["ingest", "nowhere.csv", "--dataset", "nope"]) == 3
    assert "no dataset 'nope'" in capsys.readouterr().err
    make_dataset("d")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["ingest", str(empty), "--dataset", "d"]) == 4
    assert "empty.csv: the file is empty" in capsys.readouterr().err
    assert main(["ingest", str(empty), "--dataset", "d", "--type", "oops"]) == 2


def test_a_failed_first_ingest_leaves_no_empty_resource(loaded, make_dataset, tmp_path, capsys):
    make_dataset("d")
    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b\n1,2,3\n")
    assert main(["ingest", str(bad), "--dataset", "d"]) == 4
    assert not Resource.objects.exists()
