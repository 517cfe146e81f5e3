"""Matching residents with energy offers: eligibility rules (each with its negative case) and
the ranking that puts first what a resident can act on."""

from __future__ import annotations

import pytest

from commonground.energy.matching import (
    Circumstances,
    OfferFacts,
    fits,
    match,
    measures_words,
)

SHARES = OfferFacts(1, "community_shares", "Library roof shares", "MK Energy Co-op",
                    minimum_gbp=50, building="Bletchley library",
                    measures=frozenset({"solar_pv"}))
ROOF = OfferFacts(2, "own_roof", "Panels for your roof", "Installer", tenure="own", home="house")
GRANT = OfferFacts(3, "grant", "Solar grant", "Council", tenure="own", low_income_only=True)
LOCAL = OfferFacts(4, "group_purchase", "Bletchley bulk buy", "Co-op", tenure="own",
                   home="house", area_codes=frozenset({"E05009406"}))

RENTER = Circumstances("rent", "flat", False, frozenset({"E01016710", "E05009406"}))
OWNER = Circumstances("own", "house", False, frozenset({"E01016710", "E05009406"}))
POOR_OWNER = Circumstances("own", "house", True, frozenset({"E01099999"}))


def test_a_renter_gets_community_shares_with_the_reason_said_plainly():
    found = match(RENTER, [SHARES, ROOF, GRANT, LOCAL])
    assert [m.offer.id for m in found] == [1]
    assert found[0].reasons[0] == ("you rent: community shares from £50 let you own part of a "
                                   "solar project on the Bletchley library roof")


def test_an_owner_of_a_house_sees_their_own_roof_first_and_local_schemes():
    found = match(OWNER, [SHARES, ROOF, GRANT, LOCAL])
    assert [m.offer.id for m in found] == [2, 4, 1]
    assert "offered in your neighbourhood" in found[1].reasons


def test_a_low_income_owner_sees_the_grant_first_and_not_schemes_elsewhere():
    found = match(POOR_OWNER, [SHARES, ROOF, GRANT, LOCAL])
    assert [m.offer.id for m in found][0] == 3
    assert 4 not in [m.offer.id for m in found]


@pytest.mark.parametrize("offer, who, words", [
    (ROOF, RENTER, "own their home"),
    (OfferFacts(5, "own_roof", "Flats", "X", home="flat"), OWNER, "live in a flat"),
    (GRANT, OWNER, "low income"),
    (LOCAL, POOR_OWNER, "not offered where you live"),
])
def test_each_eligibility_rule_says_why_an_offer_does_not_fit(offer, who, words):
    ok, why = fits(who, offer)
    assert not ok and words in why


def test_a_reason_says_what_the_offer_is_for_and_never_guesses_solar():
    """An offer's kind says how (a grant, a group purchase), its measures what: a heat pump
    group buy is not "a lower price per panel"; an offer that does not say is not called
    solar."""
    pump = OfferFacts(7, "group_purchase", "Heat pump buy", "Co-op", tenure="own",
                      measures=frozenset({"air_source_heat_pump"}))
    warm = OfferFacts(8, "grant", "Insulation grant", "Council", low_income_only=True,
                      measures=frozenset({"draught_proofing", "loft_insulation"}))
    unsaid = OfferFacts(9, "own_roof", "Home works", "Installer", tenure="own")
    reasons = {m.offer.id: m.reasons[0] for m in match(POOR_OWNER, [pump, warm, unsaid])}
    assert reasons == {
        7: "neighbours buying together get a lower price for air-source heat pump",
        8: "help with the cost of loft insulation and draught-proofing for households on a "
           "low income",
        9: "you own a house, so you can have the work done on it"}
    solar_roof = match(OWNER, [OfferFacts(10, "own_roof", "Panels", "X",
                                          measures=frozenset({"solar_pv"}))])
    assert solar_roof[0].reasons[0] == "you own a house, so panels can go on your own roof"
    assert measures_words(["battery", "solar_pv", "draught_proofing"]) == (
        "solar panels, home battery and draught-proofing")
    assert measures_words([]) == ""
