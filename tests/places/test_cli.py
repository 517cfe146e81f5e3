"""The command line calls the same services as the pages."""

from commonground.cli import main


def test_lookup_prints_lsoa_msoa_and_ward(loaded, capsys):
    assert main(["places", "lookup", "--lat", "52.04", "--lon", "-0.76"]) == 0
    out = capsys.readouterr().out
    assert "E01033500" in out and "E02003472" in out and "Central Milton Keynes" in out
    assert "Neighbourhood (LSOA), 2021 boundaries" in out and "Ward" in out


def test_lookup_outside_the_city_is_a_one_line_error(loaded, capsys):
    assert main(["places", "lookup", "--lat", "51.5", "--lon", "-0.12"]) == 3
    assert capsys.readouterr().err.startswith("error: The point 51.50000, -0.12000 is outside Milton Keynes")


def test_search_lists_places(loaded, capsys):
    assert main(["places", "search", "Bletchley"]) == 0
    assert "Bletchley Park" in capsys.readouterr().out
    assert main(["places", "search", "Atlantis"]) == 3


def test_profile_prints_json(loaded, capsys):
    import json

    assert main(["places", "profile", "ward", "E05009406"]) == 0
    assert json.loads(capsys.readouterr().out)["area"]["name"] == "Bletchley East"


def test_lookup_prints_json_when_asked(loaded, capsys):
    import json

    assert main(["places", "lookup", "--lat", "52.04", "--lon", "-0.76", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {area["code"] for area in found["areas"].values()} >= {"E01033500", "E02003472"}


def test_an_impossible_point_is_a_usage_error(loaded, capsys):
    assert main(["places", "lookup", "--lat", "95", "--lon", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: Latitude must be between -90 and 90")


def test_profile_of_an_unknown_area_is_not_found(loaded, capsys):
    assert main(["places", "profile", "ward", "E05999999"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "E05999999" in err


def test_load_of_the_data_already_loaded_says_so(loaded, data_dir, capsys):
    assert main(["load", "--data", str(data_dir)]) == 0
    assert f"already loaded from {data_dir} (no file changed)" in capsys.readouterr().out


def test_load_from_a_folder_without_data_loads_nothing(loaded, tmp_path, capsys):
    assert main(["load", "--data", str(tmp_path)]) == 4
    assert capsys.readouterr().err.startswith("error: nothing was loaded. ")
    assert main(["places", "search", "Bletchley"]) == 0  # the city loaded before is still there


def _cli_on_a_new_database(tmp_path, *argv):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "commonground.settings"}
    return subprocess.run([sys.executable, "-m", "commonground.cli", *argv], env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_command_on_a_database_with_no_tables_says_what_to_run(tmp_path):
    done = _cli_on_a_new_database(tmp_path, "places", "search", "Bletchley")
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert "new.sqlite3" in done.stderr and "run `python manage.py migrate`" in done.stderr


def test_load_on_a_database_with_no_tables_migrates_first(tmp_path):
    (tmp_path / "empty").mkdir()
    done = _cli_on_a_new_database(tmp_path, "load", "--data", str(tmp_path / "empty"))
    assert "migrating first" in done.stderr and "Traceback" not in done.stderr
    assert done.returncode == 4 and "error: nothing was loaded. " in done.stderr  # no package there
    again = _cli_on_a_new_database(tmp_path, "places", "search", "Bletchley")
    assert "migrate" not in again.stderr  # the tables are there now; nothing is loaded yet
    assert "No city data is loaded yet" in again.stderr


def test_the_command_line_lookup_reads_the_database_and_agrees_with_the_loaded_city(loaded):
    """The command answers one point without building the loaded city; it must give the same
    areas as the pages and the API, inside, on the edge of and outside the city."""
    import numpy as np
    import pytest

    from commonground.geography.projection import bng_to_lonlat
    from commonground.places import search
    from commonground.places.lookup import areas_at_from_database

    base = loaded.base_areas
    xs = np.array([a.easting for a in base[::7]] + [base[0].easting + 50_000])
    ys = np.array([a.northing for a in base[::7]] + [base[0].northing])
    lons, lats = bng_to_lonlat(xs, ys)
    for lat, lon in zip(lats, lons, strict=True):
        try:
            warm = search.areas_at(float(lat), float(lon), loaded)
        except search.OutsideCity:
            with pytest.raises(search.OutsideCity):
                areas_at_from_database(float(lat), float(lon))
            continue
        cold = areas_at_from_database(float(lat), float(lon))
        assert cold == warm and list(cold["areas"]) == list(warm["areas"])


def test_the_command_line_search_reads_the_database_and_agrees_with_the_loaded_city(loaded):
    """One search from the command line reads a few columns of every area, not the whole
    loaded city; it must list the same areas in the same order as the pages and the API."""
    from commonground.places import search
    from commonground.places.lookup import search_from_database
    from commonground.places.models import Postcode

    postcode = Postcode.objects.exclude(area=None).values_list("postcode", flat=True).first()
    queries = ["Bletchley", "bletchley east", "Park", "Milton Keynes 030", "E05009406", "e01016710",
               "  Wolverton   ", "a", "Atlantis", postcode, "MK99 9ZZ", "Ōtautahi", ""]
    for query in queries:
        cold, warm = search_from_database(query), search.search_areas(query, loaded)
        assert cold == warm, query
    assert len(search_from_database("a").areas) == search.MAX_RESULTS
