"""The register's file format, read and checked without a database (registerfile,
registercsv): the real register passes; every kind of bad input named in issue 17 gets its
own error naming the item and the field, and one report lists them all."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile

import pytest
import shapely

from commonground.projects import registercsv, registerfile
from commonground.projects.importing import rules as model_rules

#: Milton Keynes Central station, as the real file gives it (lat, lon)
STATION = (52.0344, -0.7741)
#: Trafalgar Square, London: well outside the city
LONDON = (51.5080, -0.1281)


@pytest.fixture(scope="module")
def rules(city):
    """The models' words and limits, and Milton Keynes' outline from the data folder (its
    base areas joined, as the importer and footprint uploads take it)."""
    outline = shapely.union_all(city.layers[city.base_geography].geometries)
    return model_rules(registerfile.City(city.manifest.city_name, outline))


@pytest.fixture
def check(rules):
    def run(document, locate=None):
        return registerfile.check(document, rules, locate)
    return run


def problems_of(check, document) -> dict[str, str]:
    register, problems = check(document)
    assert register is None
    return {p.where: p.message for p in problems}


def square(lon: float, lat: float, size: float = 0.002) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
             [lon, lat]]]


# ---------------------------------------------------------------- the real file

def test_the_real_register_passes_with_every_project_and_organisation(check, register_file):
    register, problems = check(register_file)
    assert problems == []
    assert len(register.projects) == len(register_file["projects"]) == 25
    assert len(register.organisations) == len(register_file["organisations"]) == 89
    ids = {o.id for o in register.organisations}
    assert {p.organisation for x in register.projects for p in x.partners} <= ids
    assert {f.funder for x in register.projects for f in x.funding} <= ids


def test_the_real_register_normalised_keeps_what_the_file_says(check, register_file):
    register, _ = check(register_file)
    for entry, raw in zip(register.projects, register_file["projects"], strict=True):
        assert (entry.id, entry.title, entry.status) == (raw["id"], raw["title"], raw["status"])
        assert entry.start == (raw["start"] or "") and entry.end == (raw["end"] or "")
        assert entry.people_involved_or_affected == (raw["people_involved_or_affected"] or "")
        assert [(p.organisation, p.role) for p in entry.partners] == [
            (p["organisation"], p["role"]) for p in raw["partners"]]
        assert [(f.funder, f.amount_gbp) for f in entry.funding] == [
            (f["funder"], f["amount_gbp"]) for f in raw["funding"]]
        for place, given in zip(entry.places, raw["places"], strict=True):
            assert place.areas == given["areas"]
            assert (place.shape is not None) == (given["lat"] is not None)
    assert registerfile.to_document(register)["projects"][0] == {
        **register_file["projects"][0], "champion": None, "links": [], "city_wide": None}


def test_a_point_of_the_real_file_is_projected_to_british_national_grid(check, register_file):
    register, _ = check(register_file)
    station = next(p for x in register.projects for p in x.places
                   if (p.lat, p.lon) == STATION)
    # MK Central station lies at about E 484,000, N 238,000 on the National Grid
    assert station.shape.x == pytest.approx(484_000, abs=1_500)
    assert station.shape.y == pytest.approx(238_000, abs=1_500)


# ---------------------------------------------------------------- bad input, one at a time

def test_an_unknown_organisation_is_named_by_project_and_partner(check, register_document):
    register_document["projects"][2]["partners"][0]["organisation"] = "foo"
    found = problems_of(check, register_document)
    assert found == {'projects[3] "mk-smart" partners[1].organisation':
                     'unknown organisation "foo" (not in the register\'s organisations)'}


def test_an_unknown_funder_is_named_by_project_and_funding(check, register_document):
    register_document["projects"][2]["funding"][0]["funder"] = "acme-fund"
    assert list(problems_of(check, register_document)) == [
        'projects[3] "mk-smart" funding[1].funder']


def test_duplicate_project_and_organisation_ids(check, register_document):
    register_document["projects"][3]["id"] = register_document["projects"][2]["id"]
    register_document["organisations"][5]["id"] = register_document["organisations"][0]["id"]
    found = problems_of(check, register_document)
    assert found['projects[4] "mk-smart" id'] == "duplicate id: also projects[3]"
    assert found['organisations[6] "open-university" id'] == (
        "duplicate id: also organisations[1]")


@pytest.mark.parametrize("bad, says", [
    ("network", "an address of the register's own pages"),
    ("import", "an address of the register's own pages"),
    ("MK Smart", "is not an id"),
    ("mk/smart", "is not an id"),
    ("-leading", "is not an id"),
    ("x" * 101, "is not an id"),
])
def test_project_ids_must_be_slugs_and_not_the_registers_own_addresses(check, register_document,
                                                                       bad, says):
    register_document["projects"][0]["id"] = bad
    register_document["projects"][0]["title"] = "A"
    ((where, message),) = problems_of(check, register_document).items()
    assert where.startswith("projects[1]") and where.endswith(" id")
    assert says in message


def test_unknown_status_role_and_kind_name_the_allowed_words(check, register_document):
    register_document["projects"][0]["status"] = "finished"
    register_document["projects"][0]["partners"][1]["role"] = "sponsor"
    register_document["organisations"][0]["kind"] = "charity"
    found = problems_of(check, register_document)
    at = 'projects[1] "mk-future-cities-feasibility-2012"'
    assert found[f"{at} status"] == ('unknown status "finished": use one of ended, idea, live, '
                                     "pilot, unknown")
    assert found[f"{at} partners[2].role"].startswith('unknown role "sponsor": use one of')
    assert "community-partner" in found[f"{at} partners[2].role"]
    assert found['organisations[1] "open-university" kind'].startswith(
        'unknown kind "charity": use one of business, community, council')


@pytest.mark.parametrize("start, end, field, says", [
    ("May 2014", None, "start", "is not a date: write 2014, 2014-05 or 2014-05-01"),
    ("2014-5", None, "start", "is not a date"),
    ("2014-13", None, "start", "is not a date of the calendar"),
    ("2014-02-30", None, "start", "is not a date of the calendar"),
    (2014, None, "start", "must be text"),
    ("2014-05", "2014-04-30", "end", '"2014-04-30" is before the start "2014-05"'),
    ("2015", "2014", "end", '"2014" is before the start "2015"'),
])
def test_bad_partial_dates_and_an_end_before_the_start(check, register_document, start, end,
                                                       field, says):
    register_document["projects"][1]["start"], register_document["projects"][1]["end"] = \
        start, end
    ((where, message),) = problems_of(check, register_document).items()
    assert where == f'projects[2] "mk-wireless-electric-bus-route-7" {field}'
    assert says in message


def test_partial_dates_that_overlap_are_not_an_end_before_the_start(check, register_document):
    # the real file has start 2012-07 and end 2012: the end's year holds the start's month
    assert register_document["projects"][0]["start"] == "2012-07"
    assert register_document["projects"][0]["end"] == "2012"
    assert check(register_document)[1] == []


def test_lat_and_lon_swapped_is_said_so(check, register_document):
    place = register_document["projects"][5]["places"][0]
    place["lat"], place["lon"] = STATION[1], STATION[0]
    found = problems_of(check, register_document)
    message = found['projects[6] "mk-smart-parking-sensor-pilot" places[1].lat/lon']
    assert message.startswith("coordinates look swapped: lat -0.7741, lon 52.0344 lies outside "
                              "Milton Keynes, but swapped it lies inside")


def test_a_latitude_out_of_range(check, register_document):
    place = register_document["projects"][5]["places"][0]
    place["lat"], place["lon"] = 121.0, STATION[0]  # swapped it would be in China
    found = problems_of(check, register_document)
    assert found == {'projects[6] "mk-smart-parking-sensor-pilot" places[1].lat':
                     "must be between -90 and 90 degrees, not 121.0"}


def test_a_point_outside_the_city_says_how_far(check, register_document):
    place = register_document["projects"][5]["places"][0]
    place["lat"], place["lon"] = LONDON
    message = problems_of(check, register_document)[
        'projects[6] "mk-smart-parking-sensor-pilot" places[1].lat/lon']
    assert message.startswith("lat 51.508, lon -0.1281 lies outside Milton Keynes (")
    assert message.endswith(" km from its boundary)")


def test_lat_without_lon_and_a_non_number(check, register_document):
    places = register_document["projects"][5]["places"]
    places[0]["lon"] = None
    places.append({"description": "x", "lat": "52.03", "lon": -0.77, "areas": []})
    found = problems_of(check, register_document)
    at = 'projects[6] "mk-smart-parking-sensor-pilot"'
    assert found[f"{at} places[1].lon"] == "give both lat and lon, or neither"
    assert found[f"{at} places[2].lat"] == 'must be a number (degrees), not "52.03"'


def test_a_self_intersecting_boundary_is_refused_with_where_it_crosses(check,
                                                                       register_document):
    bowtie = [[[-0.76, 52.03], [-0.74, 52.05], [-0.74, 52.03], [-0.76, 52.05], [-0.76, 52.03]]]
    register_document["projects"][9]["places"][0]["geometry"] = {"type": "Polygon",
                                                                 "coordinates": bowtie}
    found = problems_of(check, register_document)
    assert found['projects[10] "our-mk" places[1].geometry'] == (
        "is self-intersecting near lon -0.75000, lat 52.04000: a boundary must not cross itself")


def test_a_geometry_outside_the_city_is_refused_and_one_leaving_it_is_kept(check,
                                                                          register_document):
    places = register_document["projects"][9]["places"]
    places[0]["geometry"] = {"type": "Polygon", "coordinates": square(LONDON[1], LONDON[0])}
    message = problems_of(check, register_document)['projects[10] "our-mk" places[1].geometry']
    assert message.startswith("lies outside Milton Keynes: no part of it is within the city (")
    # a route from MK Central to London has a part in the city: a footprint, as uploads take
    places[0]["geometry"] = {"type": "LineString",
                             "coordinates": [[STATION[1], STATION[0]], [LONDON[1], LONDON[0]]]}
    register, problems = check(register_document)
    assert problems == [] and register.projects[9].places[0].kind == "line"


def test_places_beyond_great_britain_are_refused_before_they_are_projected(
        check, register_document, monkeypatch):
    projected = []
    real_to_bng = registerfile.to_bng
    monkeypatch.setattr(registerfile, "to_bng", lambda g: projected.append(g) or real_to_bng(g))
    places = register_document["projects"][9]["places"]
    places[0]["geometry"] = {"type": "LineString",  # a line from MK Central to the South Pole
                             "coordinates": [[STATION[1], STATION[0]], [179.9, -89.9]]}
    register_document["projects"][5]["places"][0].update(lat=-90, lon=0)
    found = problems_of(check, register_document)
    assert found == {
        'projects[10] "our-mk" places[1].geometry':
            "position 2 (lon 179.9, lat -89.9) lies far outside Milton Keynes: beyond Great "
            "Britain, longitude -9.01 to 2.01 and latitude 49.75 to 61.01, where British "
            "National Grid is defined",
        'projects[6] "mk-smart-parking-sensor-pilot" places[1].lat/lon':
            "lat -90, lon 0 lies far outside Milton Keynes: beyond Great Britain, longitude "
            "-9.01 to 2.01 and latitude 49.75 to 61.01, where British National Grid is defined"}
    assert not any(shapely.get_coordinates(g)[:, 1].min() < 0 for g in projected)


def test_a_geometry_with_latitude_first_is_said_to_be_swapped(check, register_document):
    lat_first = [[[lat, lon] for lon, lat in ring] for ring in square(STATION[1], STATION[0])]
    register_document["projects"][9]["places"][0]["geometry"] = {"type": "Polygon",
                                                                 "coordinates": lat_first}
    found = problems_of(check, register_document)
    assert found['projects[10] "our-mk" places[1].geometry'].startswith(
        "coordinates look swapped: the geometry lies outside Milton Keynes, but swapped it "
        "lies inside (GeoJSON gives longitude first)")


@pytest.mark.parametrize("geometry, says", [
    ({"type": "Feature", "geometry": None}, "is a Feature: give one geometry"),
    ({"type": "Circle", "coordinates": [0, 0]}, 'type "Circle": use one of Point'),
    ({"type": "Polygon", "coordinates": [[[-0.76, 52.03], [-0.75]]]}, "not a valid GeoJSON"),
    ({"type": "Polygon", "coordinates": []}, "is empty"),
    ({"type": "Point", "coordinates": [484000, 238000]},
     "coordinates look like British National Grid metres"),
    ("POLYGON((0 0, 1 1, 1 0, 0 0))", "must be a GeoJSON geometry"),
])
def test_malformed_geometries(check, register_document, geometry, says):
    register_document["projects"][9]["places"][0]["geometry"] = geometry
    ((where, message),) = problems_of(check, register_document).items()
    assert where == 'projects[10] "our-mk" places[1].geometry'
    assert says in message


def test_a_valid_boundary_inside_the_city_is_kept_in_both_systems(check, register_document):
    polygon = {"type": "Polygon", "coordinates": square(STATION[1], STATION[0])}
    register_document["projects"][9]["places"][0]["geometry"] = polygon
    register, problems = check(register_document)
    assert problems == []
    place = register.projects[9].places[0]
    assert place.kind == "boundary" and place.geometry == polygon
    # about 0.002° of longitude by 0.002° of latitude at 52°N: 137 m by 222 m
    assert place.shape.area == pytest.approx(137 * 222, rel=0.05)


def test_a_register_file_over_the_limit_is_refused_before_it_is_read():
    # 50 MB that is not even JSON: had it been parsed, the message would say so
    huge = b"{" + b" " * (50 << 20)
    document, _, problems = registercsv.read_upload({"footprint.geojson": huge})
    assert document is None
    assert [str(p) for p in problems] == [
        "footprint.geojson: the file is 50.0 MB; the largest register accepted is 10.0 MB. "
        "Nothing was read"]
    assert registerfile.read_json(huge, name="footprint.geojson")[1] == problems


def test_not_json_and_keys_given_twice(check):
    assert "not valid JSON" in str(registerfile.read_json(b'{"projects": [')[1][0])
    assert "not valid JSON" in str(registerfile.read_json(b'{"lat": NaN}')[1][0])
    document, _ = registerfile.read_json(
        b'{"organisations": [], "projects": [{"id": "a", "title": "A", "title": "B"}]}')
    found = problems_of(check, document)
    assert found == {'projects[1] "a" title': "given twice in one object (a JSON reader keeps "
                                              "only one)"}


def test_json_nested_too_deeply_is_refused_by_name_not_a_crash():
    deep = b"[" * 200_000 + b"]" * 200_000
    document, problems = registerfile.read_json(deep, name="r.json")
    assert document is None
    assert [p.where for p in problems] == ["r.json"]
    assert "nest too deeply" in problems[0].message


@pytest.mark.parametrize("value", [5, [1], {"a": 1}])
def test_a_key_that_looks_like_the_readers_own_marker_is_an_unknown_field(check, value):
    text = json.dumps({"organisations": [{"id": "a", "name": "A", "kind": "business",
                                          "\u0000twice": value}],
                       "projects": [], "\u0000twice": value})
    document, problems = registerfile.read_json(text.encode())
    assert problems == []
    found = problems_of(check, document)
    assert list(found) == ['organisations[1] "a"']
    assert found['organisations[1] "a"'].startswith('unknown field(s) "\x00twice"')


def test_unknown_fields_and_wrong_shapes(check):
    found = problems_of(check, {"organisations": {}, "projects": [
        {"id": "a", "title": "A", "partner": []}, "b"]})
    assert found["organisations"] == "must be a list"
    assert found['projects[1] "a"'].startswith('unknown field(s) "partner" (fields: id, title')
    assert found["projects[2]"].startswith('must be an object with id, title')


# ---------------------------------------------------------------- all at once

def test_one_report_lists_every_problem_in_the_file(check, register_document):
    d = register_document
    d["projects"][2]["partners"][0]["organisation"] = "foo"
    d["projects"][3]["id"] = "mk-smart"
    d["projects"][4]["id"] = "network"
    d["projects"][5]["places"][0]["lat"], d["projects"][5]["places"][0]["lon"] = \
        STATION[1], STATION[0]
    d["projects"][6]["start"] = "2015-02-31"
    d["projects"][7]["start"], d["projects"][7]["end"] = "2015", "2014-05"
    d["projects"][8]["places"][0]["lat"], d["projects"][8]["places"][0]["lon"] = LONDON
    d["projects"][9]["places"][0]["geometry"] = {"type": "Polygon", "coordinates": [[
        [-0.76, 52.03], [-0.74, 52.05], [-0.74, 52.03], [-0.76, 52.05], [-0.76, 52.03]]]}
    d["projects"][10]["status"] = "done"
    d["organisations"].append(copy.deepcopy(d["organisations"][0]))
    found = problems_of(check, d)
    assert sorted(found) == sorted([
        'projects[3] "mk-smart" partners[1].organisation',
        'projects[4] "mk-smart" id',
        'projects[5] "network" id',
        'projects[6] "mk-smart-parking-sensor-pilot" places[1].lat/lon',
        'projects[7] "cmk-smartpark-sensors" start',
        'projects[8] "motionmap" end',
        'projects[9] "mk-smart-water" places[1].lat/lon',
        'projects[10] "our-mk" places[1].geometry',
        'projects[11] "cape-community-action-platform-for-energy" status',
        'organisations[90] "open-university" id',
    ])


# ---------------------------------------------------------------- CSV

def csv_files(register) -> dict[str, bytes]:
    out = {}
    for name, rows in registercsv.csv_tables(register).items():
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        out[name] = text.getvalue().encode()
    return out


def test_the_real_register_as_csv_tables_reads_back_the_same(check, register_file):
    register, _ = check(register_file)
    files = csv_files(register)
    assert files["projects.csv"].decode().splitlines()[0].startswith("id,title,summary,status")
    document, locate, problems = registercsv.read_upload(files)
    assert problems == []
    again, problems = check(document, locate)
    assert problems == []
    assert again.projects == register.projects
    assert again.organisations == register.organisations


def test_csv_tables_in_a_zip_read_the_same_as_the_files(check, register_file):
    register, _ = check(register_file)
    files = csv_files(register)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for name, body in files.items():
            archive.writestr(f"register/{name}", body)
    document, _, problems = registercsv.read_upload({"register.zip": packed.getvalue()})
    assert problems == []
    assert document == registercsv.read_upload(files)[0]


def _damaged_zips(files: dict[str, bytes]) -> dict[str, bytes]:
    """The tables zipped (stored, not compressed), then damaged two ways: a changed byte in
    the first member (its CRC no longer matches) and a compression method no reader knows."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    good = packed.getvalue()
    bad_crc = bytearray(good)
    start = 30 + int.from_bytes(good[26:28], "little") + int.from_bytes(good[28:30], "little")
    bad_crc[start] ^= 1
    method_99 = bytearray(good)
    central = good.find(b"PK\x01\x02")
    method_99[8:10] = method_99[central + 10:central + 12] = (99).to_bytes(2, "little")
    return {"bad CRC": bytes(bad_crc), "method 99": bytes(method_99)}


@pytest.mark.parametrize("damage", ["bad CRC", "method 99"])
def test_a_damaged_zip_names_the_member_it_cannot_unpack(check, register_file, damage):
    register, _ = check(register_file)
    files = csv_files(register)
    data = _damaged_zips(files)[damage]
    document, _, problems = registercsv.read_upload({"register.zip": data})
    assert document is None
    first = next(iter(files))
    assert [p.where for p in problems] == [f"register.zip: {first}"]
    assert problems[0].message.startswith("cannot be unpacked (")


def test_csv_problems_name_the_file_and_line(check, register_file):
    register, _ = check(register_file)
    files = csv_files(register)
    projects = files["projects.csv"].decode().replace("milton-keynes-council:lead",
                                                      "milton-keynes-council:boss", 1)
    places = files["places.csv"].decode().replace("52.0344,-0.7741", "-0.7741,52.0344", 1)
    files |= {"projects.csv": projects.encode(), "places.csv": places.encode()}
    document, locate, problems = registercsv.read_upload(files)
    assert problems == []
    found = {p.where: p.message for p in check(document, locate)[1]}
    # the first project's record starts on line 2; summaries hold no line breaks here
    assert 'projects.csv line 2 "mk-future-cities-feasibility-2012" partners[1].role' in found
    where = next(w for w in found if w.startswith("places.csv"))
    line = next(i for i, text in enumerate(places.splitlines(), 1) if "-0.7741,52.0344" in text)
    assert where == f'places.csv line {line} "mk-smart-parking-sensor-pilot" lat/lon'
    assert found[where].startswith("coordinates look swapped")


def test_csv_needs_its_two_tables_and_known_columns():
    _, _, problems = registercsv.read_upload({"projects.csv": b"id,title,colour\nx,X,red\n"})
    found = {p.where: p.message for p in problems}
    assert found["organisations.csv"].startswith("missing: a register in CSV needs")
    assert found["projects.csv line 1"].startswith("unknown column(s) colour")
    _, _, problems = registercsv.read_upload({"organisations.csv": b"id,name,kind\n",
                                              "projects.csv": b"id,title\n",
                                              "places.csv": b"project,lat,lon\nghost,52,-0.7\n"})
    assert [str(p) for p in problems] == [
        'places.csv line 2 project: "ghost" is not a project in projects.csv']


def test_csv_cells_a_spreadsheet_would_read_as_formulas_come_back_as_written(check):
    document, locate, problems = registercsv.read_upload({
        "organisations.csv": b"id,name,kind\norg,'=Org,council\n",
        "projects.csv": b"id,title,partners\np,'+Plus,org:lead\n"})
    assert problems == []
    register, problems = check(document, locate)
    assert problems == []
    assert (register.organisations[0].name, register.projects[0].title) == ("=Org", "+Plus")


def test_the_locator_counts_from_one_and_names_csv_lines():
    locate = registerfile.Locator({("projects", 0): "projects.csv line 2",
                                   ("projects", 0, "places", 1): "places.csv line 9"})
    assert locate("projects", 0, "a", ("partners", 0), "role") == \
        'projects.csv line 2 "a" partners[1].role'
    assert locate("projects", 0, "a", ("places", 1), "lat") == 'places.csv line 9 "a" lat'
    assert registerfile.Locator()("projects", 2, "b", ("places", 0), "lat") == \
        'projects[3] "b" places[1].lat'


def test_a_stored_point_is_written_back_as_the_lat_and_lon_it_came_from():
    point = registerfile.point_bng(STATION[1], STATION[0])
    place = registerfile.place_from_shape("station", point, ["Central Milton Keynes"])
    assert (place.lat, place.lon) == STATION and place.geometry is None
    line = shapely.LineString([point, shapely.Point(point.x + 500, point.y)])
    place = registerfile.place_from_shape("route", line, [])
    assert place.geometry["type"] == "LineString" and place.lat is None
    assert place.geometry["coordinates"][0] == list(reversed(STATION))
    assert json.loads(json.dumps(place.geometry)) == place.geometry
