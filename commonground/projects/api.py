"""The smart-city register as JSON (django-ninja, mounted at ``/api/projects``): the list with
the page's filters, and one project. What a reader sees is ``access``'s rule (drafts for
their organisation's members only) and the same dictionaries as the pages (``records``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apiauth import Page
from commonground.apierrors import errors

from . import access, listing, records
from .models import Project

router = Router(tags=["projects"])


class ProjectSearchParams(Schema):
    q: str = Field("", description="Words, each in the title, summary or a partner's name")
    theme: list[str] = []
    technology: list[str] = []
    status: list[str] = Field([], description="Any of: " + ", ".join(Project.Status.values))
    partner: list[str] = Field([], description="Partner organisations' ids")
    place: str = Field("", description="One area of the city, by name or code (GSS); "
                                       "city-wide projects are in every place")
    start_year: int | None = Field(None, alias="from",
                                   ge=listing.FIRST_YEAR, le=listing.LAST_YEAR,
                                   description="Projects running in or after this year")
    end_year: int | None = Field(None, alias="to", ge=listing.FIRST_YEAR,
                                 le=listing.LAST_YEAR,
                                 description="Projects running in or before this year")
    sort: str = Field("title", json_schema_extra={"enum": list(listing.SORTS)})
    limit: int = Field(100, ge=0, le=1000, description="At most this many")
    offset: int = Field(0, ge=0, description="Skip this many first")


class ProjectPage(Page):
    """One page of the projects found, paginated as every list of the API is."""

    place: dict[str, Any] | None = Field(description="The place asked for, if any")
    undated_left_out: int = Field(description="Projects with no known start, left out of a "
                                               "search by years")
    projects: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]


@router.get("/", response=ProjectPage, openapi_extra=errors(400, 422, 503),
            summary="Smart-city projects, filtered, with facet counts")
def project_list(request, params: Query[ProjectSearchParams]):
    """The projects you may see (drafts only for their organisation's members), with the
    list page's filters: ``status`` (idea, pilot, live, ended, unknown), ``theme``,
    ``technology`` and ``partner`` (each repeatable: any of them), ``place`` (a name or code;
    400 when the city has no such place), ``from`` and ``to`` (years: projects that ran in
    them, ``periods.py``: an unknown end counts as the start year only unless the project is
    live; projects with no known start are left out and counted in ``undated_left_out``).
    400 names the parameter it cannot use."""
    filters = listing.Filters(
        q=params.q.strip(), theme=params.theme, technology=params.technology,
        status=params.status, partner=params.partner, place=params.place.strip(),
        start_year=str(params.start_year or ""), end_year=str(params.end_year or ""),
        sort=params.sort)
    try:
        found = listing.search(request.user, filters)
    except listing.FilterError as exc:
        raise HttpError(400, f"{exc} (parameter: {exc.field})") from exc
    return {"total": found.total, "limit": params.limit, "offset": params.offset,
            "place": found.place,
            "undated_left_out": found.undated_left_out,
            "projects": [records.summary(p) for p in
                         found.projects[params.offset:params.offset + params.limit]],
            "facets": found.facets}


@router.get("/{slug}", openapi_extra=errors(404, 422),
            summary="One project: partners, funding, data, places, links and sources")
def project_detail(request, slug: str):
    """Everything the project's page says; datasets only where their rows are public."""
    project = get_object_or_404(Project.objects.select_related("owner"), slug=slug)
    if not access.can_view(request.user, project):
        raise Http404("No such project")
    return records.record(project)
