"""A small register made with the ORM for the pages' tests: people in every role, partner
organisations, published and draft projects in real places of the city, and catalogue
datasets of every visibility linked to them. Import ``cast_fixture``, ``places_fixture`` and
``register_fixture`` to use the fixtures ``cast``, ``places`` and ``register``.

The places are real areas of the loaded city: a ward, a neighbourhood (LSOA) inside it (its
best-fit parent), and a point inside that neighbourhood; a second ward elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import shapely

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import Dataset
from commonground.projects.models import (
    CollectedData,
    Funding,
    PartnerOrganisation,
    Partnership,
    Project,
    ProjectPlace,
)

PASSWORD = "pw-projects-1"


@pytest.fixture(name="cast")
def cast_fixture(council, django_user_model):
    """resident (no roles), the council's member, editor (officer) and admin, an editor of
    another organisation (other), and site staff."""
    def make(name, **extra):
        return django_user_model.objects.create_user(name, email=f"{name}@example.org",
                                                     password=PASSWORD, **extra)

    people = {name: make(name) for name in ("resident", "member", "officer", "admin",
                                            "other")}
    people["staff"] = make("staff", is_staff=True)
    for name, role in (("member", Membership.Role.MEMBER), ("officer", Membership.Role.EDITOR),
                       ("admin", Membership.Role.ADMIN)):
        Membership.objects.create(user=people[name], organisation=council, role=role)
    group = Organisation.objects.create(slug="bletchley-action", name="Bletchley Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=people["other"], organisation=group,
                              role=Membership.Role.EDITOR)
    people["group"] = group
    return people


@dataclass
class Places:
    ward: object  # AreaRecord
    lsoa: object  # a neighbourhood whose best-fit parent is ``ward``
    other_ward: object  # a ward that does not touch ``ward``
    neighbour: object  # a ward sharing an edge with ``ward``
    point: object  # shapely Point inside ``lsoa`` (EPSG:27700)


@pytest.fixture(name="places")
def places_fixture(loaded) -> Places:
    state = loaded
    wards = state.by_geography["ward"]
    parents = state.parents("ward")
    children = [state.base_areas[i] for i in range(len(parents))
                if parents[i] >= 0 and wards[parents[i]].code == wards[0].code]
    lsoa = children[0]
    polygon = state.geometries(state.base)[state.position(state.base)[lsoa.code]]
    shapes = state.geometries("ward")
    touching = shapely.touches(shapes, shapes[0]) | shapely.intersects(
        shapes, shapely.buffer(shapes[0], 1.0))
    neighbour = next(w for i, w in enumerate(wards) if i and touching[i])
    other = next(w for i, w in reversed(list(enumerate(wards))) if not touching[i])
    return Places(ward=wards[0], lsoa=lsoa, other_ward=other, neighbour=neighbour,
                  point=shapely.point_on_surface(polygon))


@dataclass
class Register:
    sensors: Project  # published, live, a point in ``places.lsoa``
    energy: Project  # published, ended 2014-2017, the ward ``places.ward``
    hub: Project  # published, city-wide, 2014 to June 2019
    bus: Project  # published, pilot, no dates, in ``places.other_ward``
    secret: Project  # the council's draft, in ``places.ward``
    council_partner: PartnerOrganisation
    university: PartnerOrganisation
    funder: PartnerOrganisation
    community: PartnerOrganisation
    public: Dataset  # published, public, about places: shown
    private: Dataset  # the council's private dataset
    people: Dataset  # public but records about people
    draft: Dataset  # the council's draft dataset


def _project(owner, slug, title, **fields) -> Project:
    fields.setdefault("state", Project.State.PUBLISHED)
    return Project.objects.create(slug=slug, title=title, owner=owner, **fields)


@pytest.fixture(name="register")
def register_fixture(council, cast, places, make_dataset) -> Register:
    import datetime

    council_partner = PartnerOrganisation.objects.create(
        slug="milton-keynes-council", name="Milton Keynes Council", kind="council",
        hub_organisation=council)
    university = PartnerOrganisation.objects.create(slug="open-university",
                                                    name="The Open University",
                                                    kind="university")
    funder = PartnerOrganisation.objects.create(slug="innovate-uk", name="Innovate UK",
                                                kind="funder")
    community = PartnerOrganisation.objects.create(slug="food-bank-mk", name="MK Food Bank",
                                                   kind="community")

    sensors = _project(
        council, "parking-sensors", "Parking bay sensors",
        summary="Sensors in car park bays report free spaces to an app.",
        status="live", start="2016-03", start_on=datetime.date(2016, 3, 1),
        themes=["mobility", "data"], technologies=["sensors", "app"],
        champion="Head of Transport Innovation",
        links=[{"title": "Project site", "url": "https://example.org/parking"}],
        sources=["https://example.org/news/parking-sensors"],
        uncertain=["end: the last news of the sensors is from 2019"],
        people_reached="Drivers using the central car parks")
    energy = _project(
        council, "energy-homes", "Home energy monitors",
        summary="Households saw their electricity use live.", status="ended",
        start="2014", end="2017", start_on=datetime.date(2014, 1, 1),
        end_on=datetime.date(2017, 12, 31), themes=["energy"], technologies=["smart-meters"])
    hub = _project(
        council, "data-hub", "City data hub", summary="A platform for the city's data.",
        status="ended", start="2014", end="2019-06", start_on=datetime.date(2014, 1, 1),
        end_on=datetime.date(2019, 6, 30), themes=["data"], technologies=["data-platform"],
        city_wide=True)
    bus = _project(cast["group"], "bus-trial", "Demand bus trial", status="pilot",
                   themes=["mobility"], technologies=["app"])
    secret = _project(council, "secret-trial", "Secret robot trial",
                      summary="Robots deliver parcels.", status="pilot", start="2021",
                      start_on=datetime.date(2021, 1, 1), themes=["mobility"],
                      technologies=["robots"], state=Project.State.DRAFT)

    for project, organisation, role in (
            (sensors, council_partner, "lead"), (sensors, university, "partner"),
            (sensors, funder, "funder"), (energy, university, "lead"),
            (energy, community, "community-partner"), (hub, council_partner, "lead"),
            (secret, council_partner, "lead"), (bus, community, "lead")):
        Partnership.objects.create(project=project, organisation=organisation, role=role)
    Funding.objects.create(project=sensors, funder=funder, programme="Smart cities fund",
                           amount_gbp=400000, source="https://example.org/grant")

    ProjectPlace.objects.create(project=sensors, kind="point", description="Car park B4",
                                geometry=shapely.to_wkb(places.point))
    ProjectPlace.objects.create(project=energy, kind="area", description="Homes in the ward",
                                area_code=places.ward.code)
    ProjectPlace.objects.create(project=secret, kind="area", description="The ward",
                                area_code=places.ward.code)
    ProjectPlace.objects.create(project=bus, kind="area", description="The other ward",
                                area_code=places.other_ward.code)
    ProjectPlace.objects.create(project=bus, kind="words", description="Bus stops at key "
                                                                       "junctions")

    public = make_dataset("car-park-occupancy", title="Car park occupancy")
    private = make_dataset("sensor-raw-feed", title="Raw sensor feed unreleased",
                           private=True)
    people = make_dataset("driver-survey-answers", title="Driver survey answers",
                          about_people=True)
    draft = make_dataset("draft-bay-counts", title="Draft bay counts",
                         state=Dataset.State.DRAFT)
    sensors.datasets.add(public, private, people, draft)
    for description, dataset in (("Bay occupancy every minute", public),
                                 ("Raw sensor readings", private),
                                 ("Drivers' survey", people), ("Bay counts", draft)):
        CollectedData.objects.create(project=sensors, description=description,
                                     dataset=dataset)
    return Register(sensors=sensors, energy=energy, hub=hub, bus=bus, secret=secret,
                    council_partner=council_partner, university=university, funder=funder,
                    community=community, public=public, private=private, people=people,
                    draft=draft)


#: What must never be shown to anyone outside the council (draft project, hidden datasets).
SECRET_WORDS = ("Secret robot trial", "secret-trial")
HIDDEN_DATASET_WORDS = ("Raw sensor feed unreleased", "sensor-raw-feed",
                        "Driver survey answers", "driver-survey-answers",
                        "Draft bay counts", "draft-bay-counts")
