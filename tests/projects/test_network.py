"""The partnerships network (projects.network): pure measures on a small hand-made register,
counted by hand below; filters by theme and period; the same picture every time."""

from __future__ import annotations

from datetime import date

import pytest

from commonground.projects import network as nw

ORGS = [nw.Organisation("council", "Milton Keynes Council", "council", "Council"),
        nw.Organisation("uni", "Open University", "university", "University"),
        nw.Organisation("bytes", "Bedford Bytes", "business", "Business"),
        nw.Organisation("fund", "Future Fund", "funder", "Funder"),
        nw.Organisation("food-bank", "Food Bank", "community", "Community group"),
        nw.Organisation("helpers", "Helpers Trust", "voluntary", "Voluntary sector"),
        nw.Organisation("idle", "Idle Ltd", "business", "Business")]  # in no project

PROJECTS = [
    nw.Project("sensors", "Parking sensors", ("mobility", "data"), date(2014, 1, 1),
               date(2015, 12, 31)),
    nw.Project("energy-app", "Energy app", ("energy",), date(2015, 1, 1)),  # end not known
    nw.Project("bus", "Bus trial", ("mobility",), date(2018, 4, 1), live=True),
    nw.Project("hub", "Data hub", ("data",)),  # no dates
]

TIES = [
    nw.Tie("council", "sensors", "lead"), nw.Tie("council", "sensors", "funder"),
    nw.Tie("bytes", "sensors", "supplier"), nw.Tie("fund", "sensors", "funder"),
    nw.Tie("uni", "energy-app", "lead"), nw.Tie("council", "energy-app", "partner"),
    nw.Tie("food-bank", "energy-app", "partner"),
    nw.Tie("council", "bus", "lead"), nw.Tie("bytes", "bus", "partner"),
    nw.Tie("uni", "bus", "evaluator"),
    nw.Tie("uni", "hub", "lead"), nw.Tie("council", "hub", "data-provider"),
    nw.Tie("bytes", "hub", "partner"), nw.Tie("helpers", "hub", "community-partner"),
]


@pytest.fixture
def net():
    return nw.build(ORGS, PROJECTS, TIES)


def projects_in(n: nw.Network) -> list[str]:
    return [p.slug for p in n.projects]


def test_projects_run_by_start_date_and_organisations_in_no_project_are_left_out(net):
    assert projects_in(net) == ["sensors", "energy-app", "bus", "hub"]  # no date: last
    assert "idle" not in net.organisations and len(net.organisations) == 6


def test_an_organisation_is_in_a_project_once_whatever_its_roles(net):
    council = next(r for r in nw.reach(net) if r.organisation.slug == "council")
    assert council.projects == ("sensors", "energy-app", "bus", "hub")  # lead + funder: once


def test_a_tie_repeated_counts_once_and_a_tie_to_nothing_is_refused():
    twice = nw.build(ORGS, PROJECTS, TIES + [TIES[0]])
    assert len(twice.ties) == len(TIES)
    with pytest.raises(ValueError, match="no organisation 'ghost'"):
        nw.build(ORGS, PROJECTS, [nw.Tie("ghost", "bus", "lead")])
    with pytest.raises(ValueError, match="no project 'moon'"):
        nw.build(ORGS, PROJECTS, [nw.Tie("uni", "moon", "lead")])


def test_organisations_in_most_projects_come_first_then_by_name(net):
    counted = [(r.organisation.slug, len(r.projects)) for r in nw.reach(net)]
    assert counted == [("council", 4), ("bytes", 3), ("uni", 3), ("food-bank", 1),
                       ("fund", 1), ("helpers", 1)]


def test_each_organisation_knows_its_partners_and_how_often(net):
    uni = next(r for r in nw.reach(net) if r.organisation.slug == "uni")
    # energy-app: council, food-bank; bus: council, bytes; hub: council, bytes, helpers
    assert uni.partners == (("council", 3), ("bytes", 2), ("food-bank", 1), ("helpers", 1))


def test_each_kinds_share_of_organisations_and_the_projects_with_one(net):
    shares = {s.kind: (s.organisations, s.projects) for s in nw.kind_shares(net)}
    assert shares == {"council": (1, 4), "community": (1, 1), "voluntary": (1, 1),
                      "university": (1, 3), "business": (1, 3), "funder": (1, 1)}
    business = next(s for s in nw.kind_shares(net) if s.kind == "business")
    assert nw.share_in_words(business, net) == ("Business: 1 of 6 organisations (17%), "
                                                "in 3 of 4 projects")


def test_a_community_partner_is_a_role_and_a_community_or_voluntary_group_is_a_kind(net):
    assert [p.slug for p in nw.naming_role(net, "community-partner")] == ["hub"]
    # energy-app has a community group as a plain partner: it has one; hub names a partner
    assert [p.slug for p in nw.without_community(net)] == ["sensors", "bus"]


def test_pairs_that_work_together_most_often(net):
    found = [(q.first.slug, q.second.slug, q.projects) for q in nw.pairs(net)]
    assert found == [("bytes", "council", ("sensors", "bus", "hub")),
                     ("council", "uni", ("energy-app", "bus", "hub")),
                     ("bytes", "uni", ("bus", "hub"))]
    # every pair sharing a project: sensors 3 (bytes-council, bytes-fund, council-fund),
    # energy-app 3 more, bus 1 more (bytes-uni), hub 3 more (each with helpers)
    assert len(nw.pairs(net, least=1)) == 10


def test_the_measures_in_plain_words(net):
    assert nw.in_words(net) == [
        "4 projects and 6 organisations are in this picture.",
        "Milton Keynes Council is in 4 of 4 projects.",
        "Bedford Bytes is in 3 of 4 projects.",
        "Open University is in 3 of 4 projects.",
        "1 of 4 projects name a community partner.",
        "2 of 4 projects have no community or voluntary partner.",
        "Bedford Bytes and Milton Keynes Council work together in 3 projects.",
        "Milton Keynes Council and Open University work together in 3 projects.",
        "Bedford Bytes and Open University work together in 2 projects.",
    ]
    assert nw.in_words(nw.select(net, theme="nothing")) == [
        "No projects match: there is nothing to count."]


def test_a_theme_keeps_its_projects_and_their_organisations(net):
    mobility = nw.select(net, theme="mobility")
    assert projects_in(mobility) == ["sensors", "bus"]
    assert sorted(mobility.organisations) == ["bytes", "council", "fund", "uni"]
    assert nw.in_words(mobility)[1:3] == ["Bedford Bytes is in 2 of 2 projects.",
                                          "Milton Keynes Council is in 2 of 2 projects."]


@pytest.mark.parametrize(("first", "last", "expected"), [
    (None, None, ["sensors", "energy-app", "bus", "hub"]),  # no period: every project
    (2015, 2015, ["sensors", "energy-app"]),
    (2016, 2017, []),  # sensors ended 2015; energy-app's end unknown: counts in 2015 only
    (2020, None, ["bus"]),  # live with no end: runs on
    (None, 2014, ["sensors"]),
    (2018, 2018, ["bus"]),
])
def test_a_period_keeps_the_projects_that_ran_in_it(net, first, last, expected):
    assert projects_in(nw.select(net, first_year=first, last_year=last)) == expected


def test_theme_and_period_together(net):
    assert projects_in(nw.select(net, theme="data", first_year=2010)) == ["sensors"]


def test_the_picture_is_the_same_every_time_whatever_the_order_of_the_records(net):
    turned = [records[3:][::-1] + records[:3] for records in (ORGS, PROJECTS, TIES)]
    assert [r[0] for r in turned] != [ORGS[0], PROJECTS[0], TIES[0]]
    assert nw.layout(nw.build(*turned)) == nw.layout(net)


def test_the_picture_groups_organisations_by_kind_and_orders_projects_by_start(net):
    picture = nw.layout(net)
    assert [h.text for h in picture.headings] == [
        "Council (1)", "Community group (1)", "Voluntary sector (1)", "University (1)",
        "Business (1)", "Funder (1)"]
    assert [n.slug for n, _ in picture.organisations] == [
        "council", "food-bank", "helpers", "uni", "bytes", "fund"]
    assert [n.slug for n in picture.projects] == ["sensors", "energy-app", "bus", "hub"]
    ys = [n.y for n, _ in picture.organisations] + [h.y for h in picture.headings]
    assert len(set(ys)) == len(ys) and max(ys) < picture.height  # no row drawn twice
    project_ys = [n.y for n in picture.projects]
    assert project_ys == sorted(project_ys) and max(project_ys) < picture.height
    lines = {(n.slug, line.project): line.role for n, ls in picture.organisations for line in ls}
    assert len(lines) == 13 and lines["council", "sensors"] == "funder, lead"


def test_each_kind_has_its_own_marker_shape(net):
    shapes = [shape for shape, _ in nw.KIND_STYLE.values()]
    assert len(set(shapes)) == len(shapes)
    drawn = {nw.marker(shape, 0, 0) for shape in shapes}
    assert len(drawn) == len(shapes)


def test_long_names_are_cut_but_kept_whole_for_the_link(net):
    long = nw.Organisation("long", "University of Bedfordshire (incl. University Campus MK)",
                           "university")
    picture = nw.layout(nw.build([long], PROJECTS, [nw.Tie("long", "bus", "partner")]))
    node = picture.organisations[0][0]
    assert node.label.endswith("…") and len(node.label) == nw.LABEL_CHARS
    assert node.name == long.name and node.note == "university, in 1 project"
