"""Use cases for a project's social-difference impact assessments: start a draft, save its
answers, publish it as the next version with the footprint's lens frozen into it; and which
versions a person may read.

* Editors of the project's owner organisation (``access.can_edit``) start, fill and publish.
  A project has at most one draft; a new draft starts from the last published version's
  answers.
* Publishing gives the draft the next version number and freezes the footprint's lens
  (``frozen_lens``), in one transaction that holds the project's row, so two publishes at
  once never take the same number and nothing is left half-written. A published version
  never changes again. Beside the lens it records, under ``lens["published_with"]``
  (:data:`PUBLISHED_WITH`), what the version was published with: the project's technologies
  and whether that made it an algorithmic tool, what was and was not assessed
  (``assessment.coverage``), and the footprint the lens describes (its parts, a key of what
  the lens reads, the reach rule; ``footprint_described``). A published version is read
  from that record (``coverage_of``, ``algorithmic_of``), never from the project as it is
  now, and ``footprint_changed`` says when the project's footprint has moved on.
* "Save and publish" (``save_and_publish``) is one change: if publishing is refused,
  nothing is saved either.
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
from .assessment import AssessmentError, clean, coverage
from .footprints import footprint_record
from .models import Assessment, Project

#: The technology that makes a project an "algorithmic tool" (an ATRS record is expected).
ALGORITHMIC = "ai-or-algorithm"
#: The key in ``Assessment.lens`` under which publishing records what the version was
#: published with (module docstring). No frozen lens has a key of this name.
PUBLISHED_WITH = "published_with"


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


def footprint_described(project: Project) -> dict:
    """The footprint a lens frozen now describes: its parts and key
    (``footprints.footprint_record``) and the reach rule the project's lens uses
    (``footprint_lens.project_lens``: polygons reach the residents inside them; points and
    lines those within ``NEAR_M``)."""
    from commonground.lens.footprint import NEAR_M

    return {**footprint_record(project),
            "reach_rule": {"near_m": NEAR_M, "near_polygons": False}}


def published_with(assessment: Assessment) -> dict | None:
    """What a published version recorded it was published with (module docstring); None for
    a draft, or a version published before this was recorded."""
    if not assessment.is_published:
        return None
    record = (assessment.lens or {}).get(PUBLISHED_WITH)
    return record if isinstance(record, dict) else None


def algorithmic_of(assessment: Assessment) -> bool:
    """Whether the version counts as an algorithmic tool's: as published, for a published
    version; as the project is now, for a draft."""
    record = published_with(assessment)
    if record is not None and "algorithmic" in record:
        return bool(record["algorithmic"])
    return is_algorithmic(assessment.project)


def coverage_of(assessment: Assessment) -> dict:
    """What was and was not assessed (``assessment.coverage``): as recorded at publishing
    for a published version; worked out from the answers and the project now for a
    draft (or a version published before it was recorded)."""
    record = published_with(assessment)
    if record is not None and isinstance(record.get("coverage"), dict):
        return record["coverage"]
    return coverage(assessment.answers, assessment.characteristics,
                    assessment.data_questions, assessment.engagement,
                    algorithmic=algorithmic_of(assessment))


def footprint_changed(assessment: Assessment) -> bool | None:
    """Whether the project's footprint (its parts, city-wide or not, or the reach rule)
    differs now from the one the version's frozen lens describes; None when not known (a
    draft, or a version published before the footprint was recorded)."""
    record = published_with(assessment)
    then = (record or {}).get("footprint")
    if not isinstance(then, dict):
        return None
    now = footprint_described(assessment.project)
    return then.get("key") != now["key"] or then.get("reach_rule") != now["reach_rule"]


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
        _keep(assessment, cleaned)
    return assessment


def _keep(assessment: Assessment, cleaned) -> None:
    """Write checked answers (inside the caller's transaction)."""
    assessment.answers, assessment.characteristics = cleaned.answers, cleaned.characteristics
    assessment.data_questions, assessment.engagement = cleaned.data_questions, \
        cleaned.engagement
    assessment.save(update_fields=["answers", "characteristics", "data_questions",
                                   "engagement", "updated"])
    assessment.consultations.set(cleaned.consultation_ids)


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
    lens = _freeze(project)
    with transaction.atomic():
        return _publish(user, assessment, lens)


def save_and_publish(user, assessment: Assessment, form) -> Assessment:
    """Keep the answers in ``form`` and publish them as the next version, as one change: if
    the answers are refused, or publishing is (the city's data not loaded, the draft
    published meanwhile), nothing is saved and the draft stays as it was."""
    project = assessment.project
    _check_edit(user, project)
    if assessment.is_published:
        raise AssessmentError("action", _PUBLISHED.format(version=assessment.version))
    cleaned = clean(form, consultations=linked_consultations(project))
    lens = _freeze(project)
    with transaction.atomic():
        _publish_lock(project)
        current = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if current.is_published:
            raise AssessmentError("action", _PUBLISHED.format(version=current.version))
        _keep(current, cleaned)
        return _publish(user, current, lens)


def _freeze(project: Project) -> dict:
    """The lens to freeze, with what it describes (read before any lock: it may take a
    moment). The seam ``frozen_lens`` may be replaced; the footprint is read here."""
    lens = _json_ready(frozen_lens(project))
    lens[PUBLISHED_WITH] = _json_ready({"footprint": footprint_described(project)})
    return lens


def _publish_lock(project: Project) -> Project:
    """The project's row, locked: every publish of its assessments takes it first, so the
    highest version is read and the next one written by one publish at a time."""
    return Project.objects.select_for_update().only("pk", "technologies").get(pk=project.pk)


def _publish(user, assessment: Assessment, lens: dict) -> Assessment:
    """Publish under the lock (inside the caller's transaction), recording beside the lens
    what the version is published with."""
    project = assessment.project
    locked = _publish_lock(project)
    current = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if current.is_published:  # a second click, or another editor, got there first
        raise AssessmentError("action", _PUBLISHED.format(version=current.version))
    algorithmic = is_algorithmic(locked)
    lens = {**lens, PUBLISHED_WITH: {
        **lens.get(PUBLISHED_WITH, {}),
        "technologies": list(locked.technologies or []), "algorithmic": algorithmic,
        "coverage": coverage(current.answers, current.characteristics,
                             current.data_questions, current.engagement,
                             algorithmic=algorithmic)}}
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
