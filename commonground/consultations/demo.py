"""Demo data: one believable Milton Keynes consultation, open now, with comments.

``seed(council, group, people)`` is called by the demo seeding command. It writes the
records directly (no rate limits, no notifications but the opening event) and does nothing
when the consultation is already there. The commenters describe themselves through the
comment form's optional questions (``activity.formparts``: whichever app asks them), with
answers made up for the demo (most from the least deprived neighbourhoods, as is common), so
the page shows who has taken part.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from commonground.accounts.models import Membership
from commonground.activity import events, formparts

from .models import Comment, CommentSupport, Consultation, Question
from .places import check as check_places

TITLE = "Where should new public EV chargers go in Bletchley?"
PLACES = "Bletchley East, Bletchley Park, Bletchley West"

EASY_READ = ("We want to put new public chargers for electric cars in Bletchley. Many homes "
             "here have no driveway, so people cannot charge at home. Tell us which streets "
             "and car parks need chargers most, and what would stop you using them. You can "
             "comment until the closing date. We will then publish what we heard and what we "
             "will do.")

TEXT = """\
Milton Keynes City Council has government funding to install more **public charge points for
electric vehicles**. We want to put them where they help most: streets where homes have no
off-street parking, and places people already park for a few hours.

In Bletchley many homes are terraced houses or flats without a driveway. Residents there
cannot charge at home, and pay more at rapid chargers than those who can.

### The options

1. **Chargers in lamp posts or bollards on residential streets**: slow, cheap to run,
   close to home; we must keep pavements clear for wheelchairs and buggies.
2. **A few chargers in council car parks** (for example near the station and the
   leisure centre): charge overnight or while shopping.
3. **Small charging hubs at community buildings**: several chargers in one place.

We expect to use a mix of these. Your answers will decide where the first ones go.
"""

QUESTIONS = [
    "Which streets or car parks in Bletchley most need public chargers, and why?",
    "Would you rather charge on your street overnight, or in a car park nearby?",
    "Is there anything that would stop you using a public charger?",
]


#: Neighbours who also comment, each a place where a charger should go and why. With the
#: people the seeding command passes they make 22: who takes part is shown from 20 people
#: (and moves on at 80), so the page shows the first 20.
WHERE = ("On my street", "At the station car park", "By the leisure centre",
         "Near the shops on Queensway", "At the community centre", "Outside the surgery",
         "In the Brunel Centre car park", "On the terraces off Duncombe Street")
WHY = ("I have no driveway.", "people park there for hours.", "it is close to home.",
       "I could charge while I shop.", "it would be safe after dark.")
NEIGHBOURS = 18
#: Their answers to the optional questions, made up for the demo: places are Milton Keynes
#: neighbourhoods (2021 LSOAs) of each national deprivation fifth, most from the least
#: deprived, as is common; "" skips a question.
LEAST, SECOND, MIDDLE, MOST = "E01016723", "E01016711", "E01016719", "E01016718"
PLACE_MIX = [LEAST] * 11 + [SECOND] * 3 + [MIDDLE] * 2 + [MOST] + [""]
AGES = ("65+", "50-64", "35-49", "50-64", "65+", "25-34", "50-64", "65+", "")
SEXES = ("female", "male", "male", "female", "no-say", "female", "male")
ETHNIC = ("white", "white", "asian", "white", "white", "black", "white", "", "white",
          "mixed", "white")
DISABLED = ("no", "no", "yes", "no", "no", "no", "", "no")
TENURES = ("owned", "owned", "owned", "social", "owned", "private", "owned", "shared")


def neighbour_answers(i: int) -> tuple[str, ...]:
    """The i-th neighbour's answers: place, age band, sex, ethnic group, disability, tenure."""
    return (PLACE_MIX[(i * 7) % len(PLACE_MIX)], AGES[i % len(AGES)], SEXES[i % len(SEXES)],
            ETHNIC[i % len(ETHNIC)], DISABLED[i % len(DISABLED)], TENURES[i % len(TENURES)])


#: The answers of the people the seeding command passes (in order), and the group's voice.
RESIDENTS_SAY = [(LEAST, "35-49", "female", "asian", "no", "owned"),
                 (SECOND, "50-64", "male", "white", "no", "owned"),
                 (MOST, "25-34", "female", "white", "no", "private")]
VOICE_SAYS = (SECOND, "50-64", "female", "white", "no", "owned")


def seed(council, group, people) -> Consultation:
    """The council's consultation on EV chargers in Bletchley; ``people`` (users, or a dict
    of them) comment and reply; an editor of ``group`` comments on its behalf."""
    existing = Consultation.objects.filter(organisation=council, title=TITLE).first()
    if existing is not None:
        return existing
    residents = list(people.values()) if isinstance(people, dict) else list(people)
    officer = _editor(council)
    today = timezone.localdate()
    with transaction.atomic():
        c = Consultation.objects.create(
            organisation=council, title=TITLE, text=TEXT, easy_read=EASY_READ,
            area_codes=check_places(PLACES), opens=today - datetime.timedelta(days=12),
            closes=today + datetime.timedelta(days=30), created_by=officer)
        q = Question.objects.bulk_create([Question(consultation=c, order=i, text=t)
                                          for i, t in enumerate(QUESTIONS, 1)])
        say = _commenter(c, residents)
        first = say(0, "The streets off Queensway and around Duncombe Street are terraced "
                       "houses. Nobody has a drive, so people there need chargers most.",
                    question=q[0])
        say(1, "Agree. Please keep the pavement clear: cables across the path are a real "
               "problem for wheelchairs and buggies.", parent=first)
        say(2, "**Price.** If charging on the street costs much more than at home, people "
               "without a drive pay more for the same car. Please keep it fair.",
            question=q[2])
        say(1, "Overnight on my street. I work shifts and the car park is a long walk "
               "after dark.", question=q[1])
        say(0, "Could some go at the leisure centre car park? Lots of people park there for "
               "an hour or two.")
        if first is not None and len(residents) > 1:
            CommentSupport.objects.get_or_create(comment=first, user=residents[1])
        voice = _editor(group) if group is not None else None
        if voice is not None:
            Comment.objects.create(consultation=c, author=voice, question=q[0], text=(
                f"On behalf of {group.name}: our members in Bletchley East asked for chargers "
                "near the community centre, so people can charge while at groups."))
        for person, answers in zip(residents, RESIDENTS_SAY, strict=False):
            _describe(c, person, answers)
        if voice is not None:
            _describe(c, voice, VOICE_SAYS)
        for i in range(NEIGHBOURS):
            neighbour = _neighbour(f"demo-neighbour-{i + 1:02}")
            Comment.objects.create(consultation=c, author=neighbour, question=q[0],
                                   text=f"{WHERE[i % len(WHERE)]}: {WHY[i % len(WHY)]}")
            _describe(c, neighbour, neighbour_answers(i))
        events.record(f"{council.name} asks for your views: “{TITLE}”", c.get_absolute_url(),
                      [("consultation", str(c.pk)), ("group", council.slug)]
                      + [("place", code) for code in c.area_codes], actor=officer)
    return c


def _editor(organisation):
    roles = [Membership.Role.EDITOR, Membership.Role.ADMIN]
    membership = (Membership.objects.filter(organisation=organisation, role__in=roles)
                  .select_related("user").order_by("pk").first())
    return membership.user if membership else None


def _commenter(consultation, residents):
    """``say(i, text, ...)``: a comment by the i-th resident (wrapping round); None when
    there are no residents."""

    def say(i: int, text: str, *, question=None, parent=None):
        if not residents:
            return None
        if parent is not None:
            question = parent.question
        return Comment.objects.create(consultation=consultation, author=residents[i % len(
            residents)], text=text, question=question, parent=parent)

    return say


def _neighbour(name: str):
    """A demo neighbour's account (no password: nobody signs in as one)."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(username=name)
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _describe(consultation, person, answers) -> None:
    """``person`` answers the comment form's optional questions, as the form would send."""
    fields = ("about_place", "about_age_band", "about_sex", "about_ethnic_group",
              "about_disability", "about_tenure")
    formparts.read("comment", dict(zip(fields, answers, strict=True))).save(
        person=("user", person.pk), thing=("consultation", str(consultation.pk)))
