"""Who asks for data and who registers for energy offers, through the lens: where they live
(the national deprivation fifth of their neighbourhood) and who they are against the city,
with the consultations' disclosure control (milestones, small counts hidden). The people who
ask for data are public (their requests are): their tables are shown on the list of requests,
the same whatever the list's filters. An offer's registrants are its organisation's alone:
only those who see the registrations see their tables, on the provider page and the API."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from commonground.accounts import tokens
from commonground.accounts.models import Membership, Organisation
from commonground.activity import sections
from commonground.energy.models import Offer
from commonground.participation import lens, services
from commonground.participation.models import TakingPart
from commonground.participation.registrations import ASKING

from .conftest import PASSWORD
from .test_forms import ABOUT
from .test_lens import lone_black_resident

pytestmark = pytest.mark.django_db
T = settings.COMMONGROUND_DISCLOSURE_THRESHOLD


def signed_in(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def section(page: str, anchor: str = "taking-part") -> str:
    start = page.index(f'id="{anchor}"')
    return page[start:page.index("</section>", start)]


def shown_counts(html: str) -> list[int]:
    cells = [cell.split("</td>")[0] for cell in html.split("<td>")[1:]]
    return [int(x) for x in cells if x.isdigit()]


def fifths() -> tuple[str, str]:
    """A neighbourhood of the least deprived fifth in England, and one of the most."""
    fifth = lens._city()["fifth"]
    return (next(c for c, q in fifth.items() if q == 5), next(c for c, q in fifth.items()
                                                              if q == 1))


def from_the_least_deprived(i: int) -> dict:
    """``lone_black_resident``, living in the least deprived fifth (person 1 and the even
    numbered: of the first ``2t``, ``t + 1``) but that one resident, who lives in the most
    deprived; the others do not say where."""
    least, most = fifths()
    where = most if i == 3 else (least if i % 2 == 0 or i == 1 else "")
    return {**lone_black_resident(i), "lsoa_code": where}


def ask(n: int, answers) -> None:
    for i in range(n):
        services.save_answers(answers(i), person=("user", 20_000 + i), thing=ASKING)


# --- the people who ask for data ---------------------------------------------------------

def test_a_person_who_asks_twice_is_counted_once(loaded, cast, council):
    client = signed_in(cast["resident"])
    for title in ("Bus stops without shelters", "Street lights that are out"):
        assert client.post(reverse("community:request_new"), {
            "title": title, "description": "Where are they?", "organisation": str(council.pk),
            **ABOUT}).status_code == 302
    asked = TakingPart.objects.get()
    assert asked.thing == "requests:hub" and asked.ethnic_group == "black"


def test_asking_through_the_api_asks_the_same_optional_questions(loaded, cast, council,
                                                                 client):
    secret = tokens.make(cast["resident"]).secret
    body = {"title": "Bus stops", "description": "Which have no shelter?",
            "organisation": council.slug}
    refused = client.post("/api/community/requests",
                          {**body, "about": {**ABOUT, "about_sex": "robot"}},
                          content_type="application/json",
                          headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "body", "about_sex"]
    assert not TakingPart.objects.exists()
    made = client.post("/api/community/requests", {**body, "about": ABOUT},
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {secret}"})
    assert made.status_code == 201, made.content
    assert TakingPart.objects.get(thing="requests:hub").tenure == "social"


def test_with_too_few_askers_the_list_shows_nothing_but_too_few(loaded):
    ask(2 * T, from_the_least_deprived)  # the first batch full, not closed
    shown = section(Client().get(reverse("community:requests")).content.decode())
    assert "Who asks for data" in shown and "Too few to show" in shown
    assert "<table" not in shown and "<td>" not in shown
    api = Client().get("/api/participation/requests").json()
    assert api["shown"] is False and api["tables"] == [] and api["first"] == 2 * T


def test_the_list_of_requests_says_where_askers_live_hiding_small_groups(loaded):
    ask(2 * T + 1, from_the_least_deprived)
    page = Client().get(reverse("community:requests")).content.decode()
    shown = section(page)
    assert ("Most requests for data came from the least deprived fifth of neighbourhoods in "
            f"England: {T + 1} of the {2 * T} people who asked for data live there") in shown
    assert f"From the first {2 * T} people who asked for data" in shown
    counts = shown_counts(shown)
    assert counts and min(counts) >= T and "hidden" in shown
    api = Client().get("/api/participation/requests").json()
    tables = {t["field"]: {r["value"]: r["count"] for r in t["rows"]} for t in api["tables"]}
    assert tables["where"]["5"] == T + 1
    # the one resident of the most deprived fifth, their ethnic group and tenure stay hidden
    assert tables["where"]["1"] is None and tables["ethnic_group"]["black"] is None
    assert tables["tenure"]["social"] is None
    assert min(n for t in tables.values() for n in t.values() if n is not None) >= T
    assert api["sentences"] == [s for s in lens.participation("requests:hub")["sentences"]]


def test_the_figures_are_the_same_whatever_the_lists_filters(loaded, council):
    """Two views of overlapping groups would tell, by their difference, about the few in one
    but not the other: the list's filters never narrow who the tables count."""
    ask(2 * T + 1, from_the_least_deprived)
    everyone = section(Client().get(reverse("community:requests")).content.decode())
    for query in ({"status": "published"}, {"organisation": council.slug},
                  {"place": "Bletchley East"}):
        page = Client().get(reverse("community:requests"), query).content.decode()
        assert section(page) == everyone


# --- the people who register for an energy offer -----------------------------------------

@pytest.fixture
def offer(council):
    return Offer.objects.create(organisation=council, kind="grant",
                                title="Warm Homes solar grant", summary="Help with panels.")


def register(offer, n: int, answers) -> None:
    for i in range(n):
        services.save_answers(answers(i), person=("email", f"person{i}@example.org"),
                              thing=("offer", str(offer.pk)))


def test_the_organisers_see_where_their_registrants_live_small_groups_hidden(loaded, cast,
                                                                             offer):
    register(offer, 2 * T + 1, from_the_least_deprived)
    anchor = f"taking-part-{offer.pk}"
    shown = section(signed_in(cast["member"]).get(reverse("energy:provider"))
                    .content.decode(), anchor)
    assert "Who has registered" in shown
    assert ("Most registrations came from the least deprived fifth of neighbourhoods in "
            f"England: {T + 1} of the {2 * T} people who registered interest") in shown
    counts = shown_counts(shown)
    assert counts and min(counts) >= T and "hidden" in shown
    api = signed_in(cast["officer"]).get(f"/api/participation/offers/{offer.pk}").json()
    tables = {t["field"]: {r["value"]: r["count"] for r in t["rows"]} for t in api["tables"]}
    assert tables["where"]["1"] is None and tables["ethnic_group"]["black"] is None
    assert api["people"] == 2 * T and api["did"] == "registered interest"


def test_no_one_else_learns_anything_of_an_offers_registrants(loaded, cast, offer):
    """Not anonymous callers, not another organisation's editor, not a resident; not how
    many registered, nor where they live."""
    register(offer, 2 * T + 1, from_the_least_deprived)
    assert Client().get(f"/api/participation/offers/{offer.pk}").status_code == 401
    assert Client().get(reverse("energy:provider")).status_code == 302  # to sign in
    for who in ("other", "resident"):
        client = signed_in(cast[who])
        answer = client.get(f"/api/participation/offers/{offer.pk}")
        assert answer.status_code == 403 and "least deprived" not in answer.content.decode()
        page = client.get(reverse("energy:provider")).content.decode()
        assert f"taking-part-{offer.pk}" not in page and "Who has registered" not in page
        assert "least deprived" not in page and offer.title not in page
    offer.active = False
    offer.save()
    assert signed_in(cast["other"]).get(
        f"/api/participation/offers/{offer.pk}").status_code == 404
    assert signed_in(cast["member"]).get(
        f"/api/participation/offers/{offer.pk}").json()["shown"] is True


def test_an_open_groups_plain_members_see_no_registrants(loaded, cast, django_user_model):
    """Anyone may join a group that is open to join: there only editors and admins see who
    registered, and so who they are."""
    group = Organisation.objects.create(slug="open-energy", name="Open Energy",
                                        kind=Organisation.Kind.COMMUNITY_GROUP,
                                        open_to_join=True)
    Membership.objects.create(user=cast["resident"], organisation=group,
                              role=Membership.Role.MEMBER)
    Membership.objects.create(user=cast["neighbour"], organisation=group,
                              role=Membership.Role.EDITOR)
    offer = Offer.objects.create(organisation=group, kind="grant", title="Open offer",
                                 summary="For anyone.")
    register(offer, 2 * T + 1, from_the_least_deprived)
    request = RequestFactory().get("/")
    request.user = cast["resident"]
    assert sections.for_page("offer", request, offer=offer) == []
    assert signed_in(cast["resident"]).get(
        f"/api/participation/offers/{offer.pk}").status_code == 403
    request.user = cast["neighbour"]
    assert [s["section"]["people"] for s in sections.for_page("offer", request,
                                                              offer=offer)] == [2 * T]


def test_a_consultations_tables_are_in_the_api_as_on_its_page(loaded, make_consultation):
    c = make_consultation()
    for i in range(2 * T + 1):
        services.save_answers(from_the_least_deprived(i), person=("user", 30_000 + i),
                              thing=("consultation", str(c.pk)))
    api = Client().get(f"/api/participation/consultations/{c.pk}").json()
    assert api["sentences"] == lens.participation(f"consultation:{c.pk}")["sentences"]
    assert api["did"] == "commented" and api["people"] == 2 * T
    assert api["sentences"][0].startswith("Most comments came from the least deprived fifth")
    assert Client().get("/api/participation/consultations/999999").status_code == 404
