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
