"""What the register tells the activity kernel (``ProjectsConfig.ready``): a project is a
thing people follow, public while it is published."""

from __future__ import annotations

from django.urls import reverse

from commonground.activity import sections, things


def project_page(slug: str) -> str | None:
    """A published project's address; None for a draft, as for no project (a draft is not
    acknowledged: ``/follows/project/<draft>/`` is 404 like an unknown id)."""
    from .models import Project

    if not Project.objects.filter(slug=slug, state=Project.State.PUBLISHED).exists():
        return None
    return reverse("projects:project", args=[slug])


def public_project_slugs() -> list[str]:
    from .models import Project

    return list(Project.objects.filter(state=Project.State.PUBLISHED)
                .values_list("slug", flat=True))


def register() -> None:
    things.register("project", "Smart-city project", page=project_page,
                    public_keys=public_project_slugs)
    sections.register("project", order=20, template="projects/_assessments.html",
                      context=assessment_section)
    sections.register("project", order=10, template="projects/_footprint_lens.html",
                      context=footprint_section)
    sections.register("place", order=20, template="projects/_place_projects.html",
                      context=place_projects)


def assessment_section(request, *, project) -> dict:
    """The project page's impact assessment section (``assessment_views.section``)."""
    from .assessment_views import section

    return section(request, project=project)


def footprint_section(request, *, project) -> dict | None:
    """The project page's footprint lens (``footprint_views.footprint_section``)."""
    from .footprint_views import footprint_section as section

    return section(request, project=project)


def place_projects(request, *, geography: str, code: str) -> dict | None:
    """The place page's projects whose footprint reaches it (``footprint_views``)."""
    from .footprint_views import place_projects as section

    return section(request, geography=geography, code=code)
