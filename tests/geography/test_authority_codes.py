"""A package's "city" names one authority, several, or a wider area; authorities can be derived
from the base areas that carry their code. Pure: no database."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from commonground.geography.boundaries import BoundaryLayer
from commonground.geography.city import authority_layer, load_city
from commonground.geography.codes import authority_geography, geography_label, looks_like
from commonground.geography.errors import DataError
from commonground.geography.manifest import Resource, load_manifest

MK, BEDFORD = "E06000042", "E06000055"


def manifest_with(tmp_path, city) -> object:
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "city": city, "resources": []}))
    return load_manifest(tmp_path)


@pytest.mark.parametrize(("city", "codes"), [
    ({"name": "Milton Keynes", "lad_code": MK}, (MK,)),
    ({"name": "Bedford and Milton Keynes", "codes": [MK, BEDFORD]}, (MK, BEDFORD)),
    ({"name": "Shared", "lad_code": BEDFORD, "codes": [MK, BEDFORD]}, (BEDFORD, MK)),
    ({"name": "England", "lad_code": "E92000001"}, ("E92000001",)),
    ({"name": "East of England", "codes": ["E12000006"]}, ("E12000006",)),
    ({"name": "West Midlands Combined Authority", "codes": ["E47000007"]}, ("E47000007",)),
    ({"name": "Kent", "codes": ["E10000016"]}, ("E10000016",)),
])
def test_the_city_names_one_authority_several_or_a_wider_area(tmp_path, city, codes):
    manifest = manifest_with(tmp_path, city)
    assert manifest.authority_codes == codes
    assert manifest.lad_code == codes[0]  # kept for code written for one authority
    assert manifest.city_name == city["name"]


@pytest.mark.parametrize(("city", "words"), [
    ({"name": "x"}, '"city": {"name", "lad_code"}'),
    ({"name": "x", "codes": []}, '"codes": [...]'),
    ({"name": "x", "codes": "E06000042"}, "must be a list"),
    ({"name": "x", "lad_code": ["E06000042"]}, "must be one code"),
    ({"name": "x", "codes": ["E01000001"]}, "'E01000001', which is not the code of a local authority"),
    ({"name": "x", "codes": [MK, "mk"]}, "'mk'"),
    ({"name": "x", "codes": [MK, MK]}, f"names {MK} twice"),
    ({"name": "x", "codes": [MK, "E92000001"]}, "E92000001 is not a local authority district"),
])
def test_a_city_that_names_no_authority_fails_saying_what_to_write(tmp_path, city, words):
    with pytest.raises(DataError) as failure:
        manifest_with(tmp_path, city)
    assert words in str(failure.value)
    assert "datapackage.json" in str(failure.value)


def test_codes_of_wider_areas_have_their_own_kind_and_label():
    kinds = {code: authority_geography(code) for code in
             (MK, "E07000178", "E08000025", "E09000001", "E10000016", "E11000001", "E47000007",
              "E12000006", "E92000001", "E01000001", "E05000001", "nonsense")}
    assert kinds == {MK: "lad", "E07000178": "lad", "E08000025": "lad", "E09000001": "lad",
                     "E10000016": "county", "E11000001": "county", "E47000007": "cauth",
                     "E12000006": "region", "E92000001": "country", "E01000001": None,
                     "E05000001": None, "nonsense": None}
    assert looks_like("E92000001", "country") and not looks_like(MK, "country")
    assert geography_label("country") == "Country"
    assert geography_label("cauth") == "Combined authority"
    assert geography_label("region") == "Region"


def squares(n: int) -> np.ndarray:
    """n unit squares (1 km) in a row, sharing edges: a tiny coverage."""
    return np.array([shapely.box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(n)], dtype=object)


def test_an_authority_is_the_union_of_its_base_areas_named_as_ons_names_them():
    resource = Resource(name="lookup", path="l.csv", title="Lookup", role="lookup", format="csv")
    names = np.array(["Alpha 001A", "Alpha 002A", "Beta 001A", "Beta 001B", "Alpha 003C", "Nowhere"],
                     dtype=object)
    base = BoundaryLayer("lsoa21", resource, np.array([f"E0100000{i}" for i in range(6)], dtype=object),
                         names, squares(6))
    lad_of = np.array(["E06000002", "E06000002", "E06000001", "E06000001", "E06000002", ""], dtype=object)
    layer = authority_layer(base, lad_of, resource)
    assert list(layer.codes) == ["E06000001", "E06000002"]
    assert list(layer.names) == ["Beta", "Alpha"]
    assert layer.geography == "lad"
    # Beta is squares 2-3 (one rectangle); Alpha squares 0, 1 and 4 (two parts)
    assert shapely.equals(layer.geometries[0], shapely.box(2000, 0, 4000, 1000))
    assert shapely.area(layer.geometries[1]) == pytest.approx(3e6)
    assert shapely.get_num_geometries(layer.geometries[1]) == 2
    assert all(shapely.is_valid(layer.geometries))


def test_authorities_whose_base_areas_overlap_slightly_are_still_dissolved():
    """Generalised boundary files are not exact coverages: the union falls back to union_all."""
    resource = Resource(name="b", path="b.geojson", title="B", role="boundaries", format="geojson")
    overlapping = np.array([shapely.box(0, 0, 1010, 1000), shapely.box(1000, 0, 2000, 1000)], dtype=object)
    base = BoundaryLayer("lsoa21", resource, np.array(["E01000001", "E01000002"], dtype=object),
                         np.array(["", ""], dtype=object), overlapping)
    layer = authority_layer(base, np.array([MK, MK], dtype=object), resource)
    assert list(layer.names) == [MK]  # no ONS names to take it from: the code
    assert shapely.equals(layer.geometries[0], shapely.box(0, 0, 2000, 1000))


@pytest.mark.parametrize(("code", "kind"), [
    ("W06000015", "lad"),  # Cardiff: a Welsh unitary authority
    ("S12000036", "lad"),  # City of Edinburgh: a Scottish council area
    ("N09000003", "lad"),  # Belfast: a Northern Ireland local government district
    ("W92000004", "country"), ("S92000003", "country"), ("N92000002", "country"),
    ("W12000001", None), ("S10000001", None), ("N47000001", None),  # no such kinds there
])
def test_the_kind_of_an_authority_code_depends_on_its_nation(code, kind):
    """ONS Code History Database: the entity digits mean different things in each nation
    (S12 is a Scottish council area, E12 an English region)."""
    assert authority_geography(code) == kind
    assert looks_like(code, "lad") == (kind == "lad")


def test_a_scottish_council_package_is_one_local_authority(tmp_path):
    manifest = manifest_with(tmp_path, {"name": "City of Edinburgh", "lad_code": "S12000036"})
    assert manifest.authority_codes == ("S12000036",)
    assert authority_geography(manifest.lad_code) == "lad"


def test_authorities_come_from_a_base_file_with_an_area_published_in_two_parts(tmp_path):
    """The base boundary file's authority property is read per area, not per feature: an
    LSOA published as two features is one area of one authority."""
    def feature(code, lad, x):
        return {"type": "Feature", "properties": {"LSOA21CD": code, "LSOA21NM": f"{lad} {code[-3:]}A",
                                                  "LAD24CD": lad},
                "geometry": json.loads(shapely.to_geojson(shapely.box(x, 52.0, x + 0.01, 52.01)))}
    features = [feature("E01000001", "E06000001", -1.0), feature("E01000002", "E06000001", -0.99),
                feature("E01000003", "E06000002", -0.98), feature("E01000001", "E06000001", -0.97)]
    (tmp_path / "lsoa.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (tmp_path / "datapackage.json").write_text(json.dumps({
        "name": "p", "city": {"name": "Two", "codes": ["E06000001", "E06000002"]},
        "resources": [{"name": "lsoa", "path": "lsoa.geojson", "role": "boundaries", "format": "geojson",
                       "geography": "lsoa21", "code_field": "LSOA21CD", "name_field": "LSOA21NM",
                       "crs": "EPSG:4326"}]}))
    city = load_city(tmp_path)
    assert list(city.layers["lad"].codes) == ["E06000001", "E06000002"]
    members = {(m.child, m.parent) for m in city.memberships if m.parent_geography == "lad"}
    assert members == {("E01000001", "E06000001"), ("E01000002", "E06000001"), ("E01000003", "E06000002")}
