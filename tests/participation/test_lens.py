"""Who takes part in a consultation, through the lens: only disclosure-controlled aggregates
of the people who commented, published in milestones that never change once shown; with
fewer than the threshold, nothing but "too few to show"."""

from __future__ import annotations

import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from commonground.accounts.models import Membership, Organisation
from commonground.consultations import demo
from commonground.lens.disclosure import Suppression, intervals
from commonground.participation import lens, services
from commonground.participation.models import TakingPart
from commonground.participation.questions import NO_SAY

pytestmark = pytest.mark.django_db
T = settings.COMMONGROUND_DISCLOSURE_THRESHOLD


def take_part(consultation, n: int, answers, start: int = 0) -> None:
    """``n`` people (numbered from ``start``) take part; ``answers(i)`` is person i's."""
    for i in range(start, start + n):
        services.save_answers(answers(i), person=("user", 10_000 + i),
                              thing=("consultation", str(consultation.pk)))


def lone_black_resident(i: int) -> dict:
    """Three in five White, the others Asian but one Black resident, who alone rents from
    the council and alone gives a neighbourhood; half say they are female, half prefer not
    to say."""
    lone = i == 3
    return {"ethnic_group": "black" if lone else ("white" if i % 5 < 3 else "asian"),
            "tenure": "social" if lone else "owned", "sex": NO_SAY if i % 2 else "female",
            "lsoa_code": "E01016718" if lone else ""}


def test_the_batches_start_at_twice_the_threshold_and_grow_fourfold():
    assert [lens.batch_for(n, 10) for n in (0, 19, 20, 79, 80, 319, 320)] == [1, 1, 2, 2, 3,
                                                                              3, 4]
    assert [lens.milestone_size(b, 10) for b in (1, 2, 3)] == [20, 80, 320]


def test_with_too_few_people_nothing_is_shown_but_too_few(loaded, make_consultation):
    c = make_consultation()
    take_part(c, 2 * T, lone_black_resident)  # the first batch is full, but not closed
    assert lens.participation(f"consultation:{c.pk}") == {"shown": False, "threshold": T,
                                                          "first": 2 * T, "did": "commented"}
    page = Client().get(c.get_absolute_url()).content.decode()
    section = page[page.index('id="taking-part"'):page.index('id="comments-h"')]
    assert "Too few to show" in section
    assert "<table" not in section and "White" not in section and "<td>" not in section


def test_only_suppressed_aggregates_are_shown(loaded, make_consultation):
    c = make_consultation()
    take_part(c, 2 * T + 1, lone_black_resident)
    result = lens.participation(f"consultation:{c.pk}")
    assert result["shown"] and result["people"] == 2 * T and result["next"] == 8 * T
    tables = {t.field: {r["value"]: r["count"] for r in t.rows} for t in result["tables"]}
    # the one Black resident, their tenure and their neighbourhood stay hidden
    assert tables["ethnic_group"]["black"] is None and tables["tenure"]["social"] is None
    assert tables["where"]["1"] is None
    # and no count below the threshold is ever shown, none included
    shown = [n for t in tables.values() for n in t.values() if n is not None]
    assert shown and min(shown) >= T
    page = Client().get(c.get_absolute_url()).content.decode()
    section = page[page.index('id="taking-part"'):page.index('id="comments-h"')]
    assert f"From the first {2 * T} people" in section
    cells = [cell.split("</td>")[0] for cell in section.split("<td>")[1:]]
    counts = [int(x) for x in cells if x.isdigit()]
    assert counts and min(counts) >= T


def test_the_figures_do_not_move_until_the_next_milestone(loaded, make_consultation):
    """A page that changed with each comment would tell what the newest commenter said."""
    c = make_consultation()
    take_part(c, 2 * T + 1, lone_black_resident)
    before = lens.participation(f"consultation:{c.pk}")
    take_part(c, 3 * T, lambda i: {"ethnic_group": "asian", "lsoa_code": "E01016718"},
              start=2 * T + 1)  # up to the next milestone but one person
    assert lens.participation(f"consultation:{c.pk}") == before


def test_a_late_answer_changes_a_published_batch_no_more(loaded, make_consultation):
    c = make_consultation()
    take_part(c, 2 * T + 1, lone_black_resident)
    before = lens.participation(f"consultation:{c.pk}")
    take_part(c, 1, lambda i: {"ethnic_group": "asian"}, start=0)  # person 0 again
    assert lens.participation(f"consultation:{c.pk}") == before
    assert TakingPart.objects.filter(thing=f"consultation:{c.pk}").count() == 2 * T + 1


@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_every_page_ever_shown_protects_every_small_count(data):
    """Set side by side, the pages of every milestone leave each small count of each batch
    (zero included) anything from 0 to threshold - 1 (the reader's linear programme)."""
    t = 5
    sizes = [2 * t, 6 * t, 24 * t][:data.draw(st.integers(1, 3))]
    answers = data.draw(st.integers(2, 4))
    cells = np.array([np.bincount(data.draw(st.lists(st.integers(0, answers - 1),
                                                     min_size=n, max_size=n)),
                                  minlength=answers) for n in sizes])
    hidden = lens.decide(cells, t)
    groups, people = lens.milestone_groups(len(sizes), answers)
    flags = np.ones((len(sizes), answers + 1), dtype=bool)
    flags[:, :answers] = hidden
    flags[:, answers] = False  # every page shows its number of people
    audit = intervals(cells.ravel().astype(float), groups, Suppression(
        cells=np.ones(cells.size, dtype=bool), groups=flags.ravel(), threshold=t))
    assert not audit.cells_exposed.any() and not audit.groups_exposed.any()
    published = cells.cumsum(axis=0)
    assert (published[~hidden] >= t).all()


def test_a_page_is_checked_against_what_the_earlier_pages_showed():
    """The first page showed 6 people giving the third answer; on the second, 10 would
    tell that exactly 4 of the 30 newcomers (a small count) gave it, though a suppression of
    the second page alone, taking the first page's 6 as hidden, would show it."""
    cells = np.array([[2, 2, 6], [11, 15, 4]])
    hidden = lens.decide(cells, 5)
    assert hidden[0].tolist() == [True, True, False]  # the first page: 6 shown
    assert hidden[1, 2]  # so the second hides the third answer's 10


def test_the_demo_consultation_shows_who_takes_part(loaded, council, django_user_model):
    make = django_user_model.objects.create_user
    officer, organiser = make("council-officer"), make("group-editor")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    group = Organisation.objects.create(slug="mk-action", name="MK Community Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=organiser, organisation=group, role="editor")
    c = demo.seed(council, group, [make(name) for name in ("amira", "dave", "priya")])
    page = Client().get(c.get_absolute_url()).content.decode()
    section = page[page.index('id="taking-part"'):page.index('id="comments-h"')]
    least = round(lens._city()["fifth_shares"]["5"] * 100)
    assert "Most comments came from the least deprived fifth of neighbourhoods" in section
    assert f"as do {least} in 100 people in Milton Keynes" in section  # set against the city
    assert f"From the first {2 * T} people who commented" in section
    assert "hidden" in section  # the small groups are
