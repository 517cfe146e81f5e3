"""Who is signing up (the public reach page and /api/energy/reach): people registering
interest, each once, by deprivation and tenure of the area, with small counts hidden; the
figures move only at milestones (2t, 8t, 32t... people; t the disclosure threshold), so no
one learns where a neighbour lives by looking before and after they register, delete their
registration, or an offer closes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from commonground.energy.models import Interest, Offer
from commonground.participation.lens import milestone_size

pytestmark = pytest.mark.django_db

OWNER = {"tenure": "own", "home": "house"}
T = 2  # the disclosure threshold in these tests: milestones at 4, 16, 64 people


@pytest.fixture
def offers(loaded, settings):
    settings.DEBUG = False
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = T
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "register interest": (1000, 3600)}
    call_command("seed_energy", verbosity=0)
    return {o.kind: o for o in Offer.objects.all()}


def _register(client, offer, n: int, *, postcode: str = "MK2 2HB", start: int = 0) -> None:
    for i in range(start, start + n):
        response = client.post(reverse("energy:register", args=[offer.pk]), {
            "postcode": postcode, **OWNER, "name": f"Resident {i}",
            "email": f"r{i}@example.org", "consent": "1"})
        assert response.status_code == 302, response.content.decode()[:300]


def _seen(client) -> tuple[dict, str]:
    """What anyone sees: the API's answer and the page's main content."""
    page = client.get(reverse("energy:reach")).content.decode()
    return client.get("/api/energy/reach").json(), page[page.index("<h1>"):]


def _counts(body: dict) -> list:
    """Every count the API shows: each deprivation table's and each tenure group's."""
    shown = [row["registrations"] for row in body["tenure"]]
    for table in (body["deprivation"] or {"tables": {}})["tables"].values():
        shown += [row["measure"] for row in table["rows"]]
    return shown


def test_nothing_is_shown_until_the_first_milestone_is_passed(client, offers):
    _register(client, offers["own_roof"], milestone_size(1, T))
    body, page = _seen(client)
    assert body["shown"] is False and body["first"] == milestone_size(1, T) == 2 * T
    assert body["deprivation"] is None and body["tenure"] == []
    assert "By tenure of the area" not in page and "Resident 0" not in page
    _register(client, offers["own_roof"], 1, start=100)  # closes the first batch
    body, page = _seen(client)
    assert body["shown"] is True and body["people"] == milestone_size(1, T)
    assert body["next"] == milestone_size(2, T) and "By tenure of the area" in page


def test_one_registration_or_deletion_between_milestones_changes_nothing(client, offers):
    _register(client, offers["own_roof"], milestone_size(1, T) + 1)
    before = _seen(client)
    assert before[0]["shown"]
    _register(client, offers["own_roof"], 1, postcode="MK9 3EJ", start=200)
    assert _seen(client) == before  # a newcomer, elsewhere: not on the page
    Interest.objects.get(email="r200@example.org").delete()
    assert _seen(client) == before
    Interest.objects.get(email="r0@example.org").delete()  # one of those already counted
    assert _seen(client) == before


def test_the_same_person_counts_once_however_many_offers(client, offers):
    _register(client, offers["own_roof"], milestone_size(1, T))
    _register(client, offers["group_purchase"], milestone_size(1, T))  # the same people
    assert _seen(client)[0]["shown"] is False  # still four people, the first batch open


def test_a_milestone_publishes_a_new_batch_with_small_counts_still_hidden(client, offers):
    first, second = milestone_size(1, T), milestone_size(2, T)
    _register(client, offers["own_roof"], first + 1)
    earlier = _seen(client)[0]
    _register(client, offers["own_roof"], 1, postcode="MK9 3EJ", start=300)  # alone there
    _register(client, offers["own_roof"], second - first - 2, start=first + 1)
    assert _seen(client)[0] == earlier  # the second batch is full, but not yet closed
    _register(client, offers["own_roof"], 1, start=400)
    body = _seen(client)[0]
    assert body["people"] == second and body["next"] == milestone_size(3, T)
    assert body != earlier
    counts = _counts(body)
    assert any(c is not None and c >= T for c in counts)
    assert all(c is None or c >= T for c in counts)
    assert 1 not in counts  # the one registrant from MK9 3EJ is never a count on the page


def test_a_closed_or_deleted_offer_reveals_nothing_to_anonymous_users(client, offers):
    offer = offers["group_purchase"]
    _register(client, offer, milestone_size(1, T) + 1)
    before = _seen(client)
    offer.active = False
    offer.save()
    assert _seen(client) == before  # its registrants still count: they registered
    assert offer.title not in before[1]
    assert client.get(f"/api/participation/offers/{offer.pk}").status_code in (401, 404)
    offer.delete()  # and its registrations with it
    assert not Interest.objects.exists()
    assert _seen(client) == before


def _groups(code: str) -> dict[str, int]:
    """The group of the neighbourhood ``code`` in each grouping the page shows: each
    deprivation table's (the newest index) and the tenure fifths."""
    from commonground.catalogue.services.lens import lens_city
    from commonground.energy.reach import TENURE_GROUPS, _owner_share
    from commonground.lens.deprivation import city_groups, groups_of
    from commonground.lens.groupings import GROUPINGS
    from commonground.places.cache import city_state

    city = lens_city(city_state())
    at = city.area_codes.index(code)
    found = {g: int(groups_of(city.edition(None), g)[at]) for g in GROUPINGS}
    found["tenure"] = int(city_groups(_owner_share(city)[0], TENURE_GROUPS)[at])
    return found


def _tables(body: dict) -> dict[str, list]:
    """Each grouping's counts as the API shows them (None: hidden)."""
    found = {k: [r["measure"] for r in t["rows"]]
             for k, t in body["deprivation"]["tables"].items()}
    found["tenure"] = [r["registrations"] for r in body["tenure"]]
    return found


def test_a_count_that_would_tell_a_batch_apart_from_the_pages_before_it_stays_hidden(
        client, offers):
    own_roof = offers["own_roof"]
    _register(client, own_roof, 3)  # the first batch: three here...
    _register(client, own_roof, 1, postcode="MK9 3EJ", start=100)  # ...and one there
    _register(client, own_roof, 1, postcode="MK9 3EJ", start=101)  # the second batch
    _register(client, own_roof, milestone_size(2, T) - milestone_size(1, T) - 1, start=3)
    first = _tables(_seen(client)[0])
    _register(client, own_roof, 1, start=500)  # the third batch: the second is published
    second = _tables(_seen(client)[0])
    there = _groups(Interest.objects.get(email="r100@example.org").lsoa_code)
    here = _groups(Interest.objects.get(email="r0@example.org").lsoa_code)
    # the two people there count 2 (the threshold) on the second page; beside the first,
    # which showed no more than one there, that would say the second batch holds one or
    # two of them (not none): hidden in every grouping where "here" is a group of its own
    for grouping, group in there.items():
        if group != here[grouping]:
            assert first[grouping][group - 1] is None, grouping
            assert second[grouping][group - 1] is None, grouping
    assert second["tenure"][here["tenure"] - 1] == milestone_size(2, T) - 2


def test_registrations_made_before_they_were_counted_are_counted_once_each_in_order(
        client, offers):
    from importlib import import_module

    from django.apps import apps

    from commonground.participation.models import TakingPart
    from commonground.participation.registrations import REGISTERING

    migration = import_module(
        "commonground.participation.migrations.0003_count_energy_registrations")
    first = milestone_size(1, T)
    _register(client, offers["own_roof"], first + 1)
    _register(client, offers["group_purchase"], 1, start=0)  # r0 again: still one person
    Interest.objects.filter(email="r1@example.org").update(email="R1@Example.org")
    counted = TakingPart.objects.filter(thing=":".join(REGISTERING))
    before = sorted(counted.values_list("person", "batch", "lsoa_code"))
    shown = _seen(client)
    counted.delete()  # as before registrations were counted as they came

    migration.count_energy_registrations(apps, None)

    assert sorted(counted.values_list("person", "batch", "lsoa_code")) == before
    assert _seen(client) == shown
