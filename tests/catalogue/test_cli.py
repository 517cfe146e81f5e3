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


def test_ingest_can_keep_a_type_and_leave_the_values_that_do_not_fit_empty(
        loaded, make_dataset, tmp_path, capsys):
    make_dataset("counts")
    path = tmp_path / "counts.csv"
    path.write_text("site,count\n" + "".join(f"S{i},{i}\n" for i in range(40)) + "S40,lots\n")
    assert main(["ingest", str(path), "--dataset", "counts"]) == 4
    assert "--type COLUMN=integer:blank" in capsys.readouterr().err
    assert main(["ingest", str(path), "--dataset", "counts", "--type", "count=integer:blank"]) == 0
    assert ("counts.csv: row 42, column count: 'lots' does not fit the column's type, left "
            "empty as asked") in capsys.readouterr().err
    version = IngestJob.objects.get(status="done").version
    assert {c["name"]: c["type"] for c in version.schema}["count"] == "integer"


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


def test_ingest_refuses_a_missing_file_or_user_before_any_job(loaded, make_dataset, tmp_path,
                                                               capsys):
    make_dataset("d")
    assert main(["ingest", str(tmp_path / "missing.csv"), "--dataset", "d"]) == 3
    assert "error: no file " in capsys.readouterr().err
    path = tmp_path / "sites.csv"
    path.write_text("site,count\nS1,1\n")
    assert main(["ingest", str(path), "--dataset", "d", "--user", "ghost"]) == 3
    assert "error: no user 'ghost'" in capsys.readouterr().err
    assert not IngestJob.objects.exists() and not Resource.objects.exists()


def test_ingest_records_the_user_and_prints_json_when_asked(loaded, make_dataset, tmp_path,
                                                           capsys, django_user_model):
    import json

    make_dataset("d")
    maker = django_user_model.objects.create_user("maker", password="a long passphrase")
    path = tmp_path / "sites.csv"
    path.write_text("site,count\nS1,1\nS2,2\n")
    assert main(["ingest", str(path), "--dataset", "d", "--user", "maker", "--json"]) == 0
    printed = capsys.readouterr().out
    report = json.loads(printed[:printed.rindex("}") + 1])
    assert report["status"] == "done" and report["version"] == 1 and report["error"] == ""
    assert IngestJob.objects.get().created_by == maker


def test_ingest_in_the_background_follows_the_job_to_its_end(loaded, make_dataset, tmp_path,
                                                            capsys, monkeypatch):
    """The worker is stood in for by running the job as soon as it is queued."""
    from types import SimpleNamespace

    from commonground.catalogue.services import ingest

    queued = []

    def enqueue(job_id):
        queued.append(job_id)
        ingest.run_job(job_id)

    monkeypatch.setattr(ingest, "ingest_task", SimpleNamespace(enqueue=enqueue))
    make_dataset("d")
    path = tmp_path / "sites.csv"
    path.write_text("site,count\nS1,1\nS2,2\n")
    assert main(["ingest", str(path), "--dataset", "d", "--background"]) == 0
    assert "d / sites.csv: version 1, 2 rows" in capsys.readouterr().out
    assert queued == [str(IngestJob.objects.get().id)]
