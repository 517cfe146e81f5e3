"""What this app tells the kernel (``ParticipationConfig.ready``): its optional questions
join the sign-up, comment, data request and register-interest forms (``activity.formparts``);
a consultation's page, the list of data requests and an offer's organisers' view show who has
taken part (``activity.sections``, with ``access``'s rules). An account's deletion takes its
standing description along.

Who takes part in what: a consultation's commenters, an offer's registrants, and the people
who ask for data counted once across all their requests (``ASKING``: a request has one asker,
so a table of its own would be one person's answers); and everyone who registers for any
offer, each once and by neighbourhood only (``REGISTERING``, for ``energy.reach``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete

from commonground.activity import formparts, sections

from . import access, services
from .questions import NO_SAY, QUESTIONS

#: The thing everyone who asks for data takes part in.
ASKING = ("requests", "hub")
#: The thing everyone who registers interest in any energy offer takes part in, counted by
#: neighbourhood only (``energy.reach``, the public "who is signing up" page).
REGISTERING = ("registrations", "energy")

#: What each form's questions are introduced with.
WHY = {
    "signup": "This helps us see who uses Common Ground, and who we are missing.",
    "comment": "This helps the organisers see who has commented, and whom they are missing.",
    "request": "This helps us see who asks for data, and who we are missing.",
    "interest": "This helps us see who signs up for energy schemes, and who is missing.",
}


def questions_context(form: str) -> dict:
    return {"form": form, "why": WHY[form], "prefix": services.PREFIX,
            "no_say": NO_SAY, "place_field": services.PLACE_FIELD,
            "ask_place": form != "interest",  # the registration has the postcode already
            "questions": [{"field": services.PREFIX + q.field, "text": q.text,
                           "choices": [(c.value, c.label) for c in q.categories]}
                          for q in QUESTIONS]}


def save_request_answers(answers: dict, *, person: tuple[str, object],
                         thing: tuple[str, str] | None = None, place: str = "") -> None:
    """A data request's answers count towards everyone who asks for data (``ASKING``)."""
    services.save_answers(answers, person=person, thing=ASKING, place=place)


def save_interest_answers(answers: dict, *, person: tuple[str, object],
                          thing: tuple[str, str] | None = None, place: str = "") -> None:
    """A registration's answers count towards its offer, and its neighbourhood (nothing
    else) towards everyone who registers for any offer (``REGISTERING``)."""
    services.save_answers(answers, person=person, thing=thing, place=place)
    services.count_in(REGISTERING, person=person, place=place)


def published(thing: str) -> dict | None:
    """The participation tables of ``thing`` (``lens.participation``), None before the city
    is loaded."""
    from commonground.places.records import NotLoaded

    from .lens import participation

    try:
        return participation(thing)
    except NotLoaded:
        return None


def _section(thing: str, heading: str, anchor: str = "taking-part", level: int = 2):
    found = published(thing)
    return None if found is None else {**found, "heading": heading, "anchor": anchor,
                                       "level": level}


def consultation_section(request, *, consultation) -> dict | None:
    return _section(f"consultation:{consultation.pk}", "Who has taken part")


def requests_section(request) -> dict | None:
    return _section(":".join(ASKING), "Who asks for data")


def offer_section(request, *, offer) -> dict | None:
    if not access.can_see_registrants(request.user, offer):
        return None
    return _section(f"offer:{offer.pk}", "Who has registered", f"taking-part-{offer.pk}", 3)


def _forget(sender, instance, **kwargs) -> None:
    services.forget(instance.pk)


#: The forms whose answers count towards more than the thing they are about.
SAVE = {"request": save_request_answers, "interest": save_interest_answers}


def register() -> None:
    for form in formparts.FORMS:
        formparts.register(form, template="participation/_questions.html",
                           context=questions_context, read=services.read_answers,
                           save=SAVE.get(form, services.save_answers))
    for page, context in (("consultation", consultation_section),
                          ("requests", requests_section), ("offer", offer_section)):
        sections.register(page, order=10, template="participation/_taking_part.html",
                          context=context)
    post_delete.connect(_forget, sender=get_user_model(),
                        dispatch_uid="participation-forget")
