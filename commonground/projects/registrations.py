"""What the register tells the activity kernel (``ProjectsConfig.ready``): a project is a
thing people follow, public while it is published."""

from __future__ import annotations

from django.urls import reverse

from commonground.activity import things


def project_page(slug: str) -> str | None:
    from .models import Project

    if not Project.objects.filter(slug=slug).exists():
        return None
    return reverse("projects:project", args=[slug])


def public_project_slugs() -> list[str]:
    from .models import Project

    return list(Project.objects.filter(state=Project.State.PUBLISHED)
                .values_list("slug", flat=True))


def register() -> None:
    things.register("project", "Smart-city project", page=project_page,
                    public_keys=public_project_slugs)
