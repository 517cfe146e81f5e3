"""Use cases for a project's social-difference impact assessments: start a draft, save its
answers, publish it as the next version with the footprint's lens frozen into it; and which
versions a person may read.

* Editors of the project's owner organisation (``access.can_edit``) start, fill and publish.
  A project has at most one draft; a new draft starts from the last published version's
  answers.
* Publishing gives the draft the next version number and freezes the footprint's lens
  (``frozen_lens``), in one transaction that holds the project's row, so two publishes at
  once never take the same number and nothing is left half-written. A published version
  never changes again.
* Anyone reads the published versions of a published project; drafts (and every version of a
  draft project) only members of the owner organisation (``access.can_view`` plus
  ``permissions.can_see_drafts``).

Bad input raises ``AssessmentError`` naming the field and changes nothing.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from commonground.accounts import permissions
from commonground.activity import events
from commonground.places.cache import NotLoaded

from . import access
from .assessment import AssessmentError, clean
from .models import Assessment, Project

#: The technology that makes a project an "algorithmic tool" (an ATRS record is expected).
ALGORITHMIC = "ai-or-algorithm"


def is_algorithmic(project: Project) -> bool:
    return ALGORITHMIC in (project.technologies or [])


def _check_edit(user, project: Project) -> None:
    if not access.can_edit(user, project):
        raise PermissionDenied(f"Only editors of {project.owner.name} assess its projects.")


# ------------------------------------------------------------------------------ the lens

def frozen_lens(project: Project) -> dict:
    """The footprint's lens for ``project`` as it stands now, JSON-ready, with the tables,
    deprivation edition, load and methods it rests on: what publishing freezes into
    ``Assessment.lens`` (``footprint_lens.project_lens``, less its map, a drawing of the
    figures). The one seam to the footprint lens; tests replace this function. Without a
    footprint lens on the hub, it says so."""
    try:
        from . import footprint_lens
    except ImportError:
        return {"available": False,
                "reason": "The footprint lens was not part of the hub when this was "
                          "published."}
    try:
        lens = footprint_lens.project_lens(project)
    except NotLoaded:
        raise AssessmentError("action", "The city's data is not loaded, so the footprint's "
                                        "lens cannot be frozen into the assessment: publish "
                                        "once it is loaded") from None
    return {key: value for key, value in lens.items() if key != "map"}


def _json_ready(value: dict) -> dict:
    """A plain JSON copy (dates as ISO text), so the frozen lens can never change with the
    objects it was built from."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# ------------------------------------------------------------------------- the use cases

def start_draft(user, project: Project) -> Assessment:
    """The project's draft: the one being written, or a new one from the last published
    version's answers (empty for a first assessment)."""
    _check_edit(user, project)
    with transaction.atomic():
        Project.objects.select_for_update().only("pk").get(pk=project.pk)
        draft = project.assessments.filter(state=Assessment.State.DRAFT).first()
        if draft is not None:
            return draft
        last = latest_published(project)
        draft = Assessment.objects.create(
            project=project, created_by=user,
            answers=dict(last.answers) if last else {},
            characteristics=dict(last.characteristics) if last else {},
            data_questions=dict(last.data_questions) if last else {},
            engagement=list(last.engagement) if last else [])
        if last is not None:
            draft.consultations.set(last.consultations.all())
    return draft


def linked_consultations(project: Project) -> dict[int, str]:
    """The project's linked consultations an engagement row may name: {id: title}."""
    return dict(project.consultations.values_list("pk", "title"))


def save_answers(user, assessment: Assessment, form) -> Assessment:
    """Check and keep the answers in ``form`` (the edit form's fields). Refuses a published
    version: it never changes."""
    project = assessment.project
    _check_edit(user, project)
    if assessment.is_published:
        raise AssessmentError("action", _PUBLISHED.format(version=assessment.version))
    cleaned = clean(form, consultations=linked_consultations(project))
    with transaction.atomic():
        current = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if current.is_published:  # published meanwhile
            raise AssessmentError("action", _PUBLISHED.format(version=current.version))
        assessment.answers, assessment.characteristics = cleaned.answers, \
            cleaned.characteristics
        assessment.data_questions, assessment.engagement = cleaned.data_questions, \
            cleaned.engagement
        assessment.save(update_fields=["answers", "characteristics", "data_questions",
                                       "engagement", "updated"])
        assessment.consultations.set(cleaned.consultation_ids)
    return assessment


_PUBLISHED = ("Version {version} is published and stays as it is: start a new draft to "
              "change the assessment")


def publish(user, assessment: Assessment) -> Assessment:
    """Publish the draft as the project's next version, with the footprint's lens frozen
    into it; followers of the project hear of it (when the project itself is public)."""
    project = assessment.project
    _check_edit(user, project)
    if assessment.is_published:
        raise AssessmentError("action", _PUBLISHED.format(version=assessment.version))
    # Read before the lock (it may take a moment); written in the same change as the number.
    lens = _json_ready(frozen_lens(project))
    with transaction.atomic():
        # The project's row is the lock every publish of its assessments takes first, so
        # the highest version is read and the next one written by one publish at a time.
        Project.objects.select_for_update().only("pk").get(pk=project.pk)
        current = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if current.is_published:  # a second click, or another editor, got there first
            raise AssessmentError("action", _PUBLISHED.format(version=current.version))
        last = project.assessments.aggregate(n=Max("version"))["n"] or 0
        current.version, current.state = last + 1, Assessment.State.PUBLISHED
        current.published, current.lens = timezone.now(), lens
        current.save(update_fields=["version", "state", "published", "lens", "updated"])
        if project.is_published:
            events.record(f"{project.owner.name} published version {current.version} of "
                          f"the impact assessment of “{project.title[:120]}”",
                          current_url(current), [("project", project.slug)], actor=user)
    return current


def current_url(assessment: Assessment) -> str:
    from django.urls import reverse

    return reverse("projects:assessment", args=[assessment.project.slug,
                                                assessment.version])


# ---------------------------------------------------------------------------- reading

def published(project: Project) -> QuerySet[Assessment]:
    """The project's published versions, newest first."""
    return project.assessments.filter(state=Assessment.State.PUBLISHED).order_by("-version")


def latest_published(project: Project) -> Assessment | None:
    return published(project).first()


def can_read_versions(user, project: Project) -> bool:
    """Whether ``user`` may read the project's published versions (the project is public,
    or they are a member of its organisation)."""
    return access.can_view(user, project)


def can_read_drafts(user, project: Project) -> bool:
    return permissions.can_see_drafts(user, project.owner)


def draft(project: Project) -> Assessment | None:
    return project.assessments.filter(state=Assessment.State.DRAFT).first()


def version(project: Project, number: int) -> Assessment | None:
    return published(project).filter(version=number).first()
