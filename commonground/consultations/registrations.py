"""What consultations tell the activity kernel (``ConsultationsConfig.ready``): a
consultation is a thing people follow, and a group's page lists its consultations."""

from __future__ import annotations

from django.urls import reverse

from commonground.activity import sections, things

from .services import listing


def consultation_page(key: str) -> str:
    return reverse("consultations:detail", args=[int(key)])


def group_consultations(request, *, organisation) -> dict | None:
    """The group's consultations, newest first; no section when it has none."""
    found = listing(organisation=organisation.slug)
    return {"consultations": found} if found else None


def register() -> None:
    things.register("consultation", "Consultation", page=consultation_page)
    sections.register("group", order=30, template="consultations/_group_consultations.html",
                      context=group_consultations)
