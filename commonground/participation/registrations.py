"""What this app tells the kernel (``ParticipationConfig.ready``): its optional questions
join the sign-up, comment, data request and register-interest forms (``activity.formparts``),
and a consultation's page shows who has taken part (``activity.sections``). An account's
deletion takes its standing description along."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete

from commonground.activity import formparts, sections

from . import services
from .questions import NO_SAY, QUESTIONS

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


def consultation_section(request, *, consultation) -> dict | None:
    from commonground.places.records import NotLoaded

    from .lens import participation

    try:
        return participation(f"consultation:{consultation.pk}")
    except NotLoaded:
        return None


def _forget(sender, instance, **kwargs) -> None:
    services.forget(instance.pk)


def register() -> None:
    for form in formparts.FORMS:
        formparts.register(form, template="participation/_questions.html",
                           context=questions_context, read=services.read_answers,
                           save=services.save_answers)
    sections.register("consultation", order=10, template="participation/_consultation.html",
                      context=consultation_section)
    post_delete.connect(_forget, sender=get_user_model(),
                        dispatch_uid="participation-forget")
