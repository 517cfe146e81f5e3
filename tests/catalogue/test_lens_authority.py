"""The lens of one authority of a package of several: ``authority=CODE`` on the page, the API
and the CLI covers that authority's neighbourhoods only (its rows, its areas, deciles "within
the city" cut within it) and says so; the whole package's lens stays the default, unchanged.

The package is Bedford and Milton Keynes, cut from the national package at test time
(``tests.places.test_authorities``); the dataset is a handful of points placed in chosen
neighbourhoods of each authority.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from commonground.catalogue.models import IngestJob
from commonground.cli import main as cli_main
from commonground.geography.projection import bng_to_lonlat
from tests.places.test_authorities import BEDFORD, ENGLAND, MK, PACKAGE_NAME, build_two_authorities

pytestmark = pytest.mark.django_db

SENTENCE = f"Bedford, one of the 2 authorities of {PACKAGE_NAME}"


@pytest.fixture(scope="module")
def two_authorities(tmp_path_factory):
    if not (ENGLAND / "datapackage.json").is_file():
        pytest.skip(f"the national package is not at {ENGLAND}")
    return build_two_authorities(tmp_path_factory.mktemp("bedford-and-mk"))


@pytest.fixture
def package(db, two_authorities):
    """The two-authority package loaded in this test's transaction; afterwards the session's
    city comes back (rolled back) and its state is read again."""
    from commonground.places import cache
    from commonground.places.loading import load_places

    load_places(two_authorities)
    yield cache.city_state()
    cache.clear()


def _points(state, path, placed: dict[str, int]):
    """A GeoJSON file with ``placed[code]`` points at each neighbourhood's inside point."""
    features = []
    for code, n in placed.items():
        area = state.areas[(state.base, code)]
        lon, lat = bng_to_lonlat([area.easting], [area.northing])
        features += [{"type": "Feature", "properties": {"name": f"{code} {i}"},
                      "geometry": {"type": "Point", "coordinates": [float(lon[0]), float(lat[0])]}}
                     for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _lens(client, name, status=200, **params):
    response = client.get(f"/api/catalogue/datasets/{name}/lens", params)
    assert response.status_code == status, response.content
    return response.json()


def test_the_lens_of_one_authority_counts_its_rows_and_areas_only(
        package, make_dataset, ingest_path, client, tmp_path, capsys):
    from commonground.places import authorities

    state = package
    at = authorities.authority_positions(state)
    names = [a.code for a in authorities.authorities(state)]
    in_bedford = sorted(a.code for a, i in zip(state.base_areas, at, strict=True) if names[i] == BEDFORD)
    in_mk = sorted(a.code for a, i in zip(state.base_areas, at, strict=True) if names[i] == MK)
    placed = {in_bedford[0]: 3, in_bedford[-1]: 2, in_mk[0]: 4}
    dataset = make_dataset("test-points", title="Test points")
    job = ingest_path(dataset, _points(state, tmp_path / "points.geojson", placed), name="Points")
    assert job.status == IngestJob.Status.DONE, job.error

    whole = _lens(client, "test-points")
    bedford = _lens(client, "test-points", authority=BEDFORD)

    # the whole package: every neighbourhood, every row; it says nothing of an authority
    assert "authority" not in whole
    assert whole["city"] == {**whole["city"], "name": PACKAGE_NAME, "areas": len(state.base_areas)}
    assert whole["measure"]["rows_in_areas"] == sum(placed.values())
    # Bedford: its neighbourhoods only, in the package's order, with the same counts each
    assert bedford["authority"]["sentence"] == SENTENCE
    assert bedford["authority"]["package"] == {"name": PACKAGE_NAME, "authorities": 2}
    assert bedford["city"]["name"] == "Bedford" and bedford["city"]["areas"] == len(in_bedford)
    codes = [r["code"] for r in bedford["where"]["areas"]]
    assert sorted(codes) == in_bedford
    per_area = {r["code"]: r["measure"] for r in whole["where"]["areas"]}
    assert {r["code"]: r["measure"] for r in bedford["where"]["areas"]} == {c: per_area[c] for c in codes}
    assert bedford["measure"]["rows_in_areas"] == bedford["measure"]["total"] == 5
    assert bedford["measure"]["rows"] == sum(placed.values())  # the file's rows, as before
    residents = {r["code"]: r["residents"] for r in whole["where"]["areas"]}
    assert bedford["city"]["residents"] == pytest.approx(sum(residents[c] for c in in_bedford))
    # national deciles as published (each neighbourhood counted once); deciles within the
    # city cut on Bedford's own neighbourhoods: ten groups of (nearly) equal count
    tables = bedford["deprivation"]["tables"]
    national = [r["areas"] for r in tables["imd-decile"]["rows"]]
    assert sum(national) == len(in_bedford)
    n = len(in_bedford)
    even = Counter(int(np.floor(i * 10 / n)) + 1 for i in range(n))
    assert [r["areas"] for r in tables["city-decile"]["rows"]] == [even[k] for k in range(1, 11)]
    package_groups = [r["areas"] for r in whole["deprivation"]["tables"]["city-decile"]["rows"]]
    assert sum(package_groups) == len(state.base_areas)
    # asking again for the whole package gives the same lens as before
    assert _lens(client, "test-points") == whole
    assert _lens(client, "test-points", authority="") == whole

    # an unknown code is refused, named
    refused = _lens(client, "test-points", status=400, authority="E06000099")
    assert "unknown authority 'E06000099'" in refused["detail"]
    assert BEDFORD in refused["detail"] and MK in refused["detail"]

    # the page says which area it covers and links to the whole package's lens
    page = client.get(f"/datasets/test-points/lens/?authority={BEDFORD}")
    assert page.status_code == 200
    text = page.content.decode()
    assert SENTENCE in text and f"the lens of the whole of {PACKAGE_NAME}" in text
    assert f"--authority {BEDFORD}" in text  # the command line of the same lens
    assert SENTENCE not in client.get("/datasets/test-points/lens/").content.decode()
    bad = client.get("/datasets/test-points/lens/?authority=E06000099")
    assert bad.status_code == 400 and "E06000099" in bad.content.decode()

    # the command line
    assert cli_main(["lens", "test-points", "--authority", BEDFORD, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["where"] == bedford["where"]
    assert cli_main(["lens", "test-points", "--authority", "E06000099"]) == 2
    assert "unknown authority 'E06000099'" in capsys.readouterr().err

    # a dataset under disclosure control keeps the whole package's lens only
    dataset.about_people = True
    dataset.save()
    assert "authority" not in _lens(client, "test-points")
    refused = _lens(client, "test-points", status=400, authority=BEDFORD)
    assert "small counts hidden" in refused["detail"] and "Bedford" in refused["detail"]


def test_a_single_authority_package_takes_its_own_code_and_refuses_any_other(loaded):
    from commonground.catalogue.services.lens import LensError, authority_scope

    own = loaded.run.lad_code
    assert authority_scope(loaded, own) is None  # the whole package
    assert authority_scope(loaded, "") is None
    with pytest.raises(LensError, match=f"unknown authority 'E06000055'.*{own}"):
        authority_scope(loaded, "E06000055")
