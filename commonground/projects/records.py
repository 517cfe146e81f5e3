"""A project as readers get it: one dictionary for the list (``summary``) and one for the page
(``record``), shared by the HTML pages, their JSON and CSV twins and the API, so all say
the same thing. Datasets appear only where ``access.shows_dataset`` allows; addresses are
site-relative.

A project's **data requests** are those linked to it (by its editors, ``services.link``) and
those asked of its organisation whose title or description names the project's title (a
request made from the project page's "Ask for its data" link is titled "Data from <title>";
the community app cannot link a request to a project itself: apps import projects, not the
other way round).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from commonground.community.models import DataRequest
from commonground.places.cache import NotLoaded, city_state

from . import access
from .listing import words
from .models import PartnerOrganisation, Partnership, Project, ProjectPlace

#: The list's CSV columns (lists joined with "; ").
CSV_COLUMNS = ["id", "title", "status", "start", "end", "themes", "technologies", "partners",
               "city_wide", "state", "owner", "summary", "url"]


def organisation_url(organisation: PartnerOrganisation) -> str | None:
    """The organisation's page in the register, once the network's pages exist."""
    try:
        return organisation.get_absolute_url()
    except NoReverseMatch:
        return None


def summary(project: Project) -> dict:
    """What the list shows of a project (its partnerships prefetched with organisations)."""
    return {
        "id": project.slug, "title": project.title, "summary": project.summary,
        "status": project.status, "status_label": project.get_status_display(),
        "start": project.start, "end": project.end,
        "themes": list(project.themes), "technologies": list(project.technologies),
        "partners": [{"id": s.organisation.slug, "name": s.organisation.name, "role": s.role}
                     for s in project.partnerships.all()],
        "city_wide": project.city_wide, "state": project.state,
        "owner": {"slug": project.owner.slug, "name": project.owner.name},
        "url": project.get_absolute_url(),
    }


def csv_row(item: dict) -> dict:
    """A ``summary`` as one CSV row (``CSV_COLUMNS``)."""
    return {**item, "themes": "; ".join(item["themes"]),
            "technologies": "; ".join(item["technologies"]),
            "partners": "; ".join(f"{p['name']} ({p['role']})" for p in item["partners"]),
            "city_wide": "yes" if item["city_wide"] else "no", "owner": item["owner"]["name"]}


def record(project: Project) -> dict:
    """Everything the page says about a project, the same for every reader who may see it."""
    partnerships = list(project.partnerships.select_related("organisation"))
    return {
        **summary(project),
        "themes": [{"name": t, "label": words(t)} for t in project.themes],
        "technologies": [{"name": t, "label": words(t)} for t in project.technologies],
        "partners_by_role": _by_role(partnerships),
        "champion": project.champion,
        "links": [{"title": link.get("title") or link["url"], "url": link["url"]}
                  for link in project.links if isinstance(link, dict) and _web(link.get("url"))],
        "sources": [{"text": str(s), "url": str(s) if _web(s) else None}
                    for s in project.sources],
        "uncertain": list(project.uncertain),
        "people_reached": project.people_reached,
        "social_difference_notes": project.social_difference_notes,
        "funding": [{"funder": _organisation(f.funder), "programme": f.programme,
                     "amount_gbp": f.amount_gbp, "source": f.source if _web(f.source) else None}
                    for f in project.funding.select_related("funder")],
        "data_collected": [{"description": d.description,
                            "dataset": _dataset(d.dataset) if access.shows_dataset(d.dataset)
                            else None}
                           for d in project.data.select_related("dataset")],
        "places": _places(project),
        "datasets": [_dataset(d) for d in project.datasets.order_by("title")
                     if access.shows_dataset(d)],
        "consultations": [{"id": c.pk, "title": c.title, "organisation": c.organisation.name,
                           "status": c.get_status_display(), "url": c.get_absolute_url()}
                          for c in project.consultations.select_related("organisation")],
        "data_requests": data_requests(project),
        "ask_for_data": reverse("community:request_new") + "?" + urlencode(
            {"organisation": project.owner.slug, "title": f"Data from {project.title}"[:200]}),
        "updated": project.updated.isoformat(),
    }


def data_requests(project: Project) -> list[dict]:
    """The project's data requests (this module's rule), the newest first; ``linked`` says
    which its editors linked."""
    linked = set(project.data_requests.values_list("pk", flat=True))
    naming = Q(title__icontains=project.title) | Q(description__icontains=project.title)
    found = DataRequest.objects.filter(Q(pk__in=linked) | Q(naming, organisation=project.owner))
    return [{"id": r.pk, "title": r.title, "organisation": r.organisation.name,
             "status": r.get_status_display(), "url": r.get_absolute_url(),
             "linked": r.pk in linked}
            for r in found.select_related("organisation").order_by("-created", "-pk")]


def _web(url) -> bool:
    """Whether ``url`` is a web address a page may link to (never ``javascript:``)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def _organisation(organisation: PartnerOrganisation) -> dict:
    return {"id": organisation.slug, "name": organisation.name, "kind": organisation.kind,
            "kind_label": organisation.get_kind_display(),
            "url": organisation_url(organisation)}


def _by_role(partnerships: list[Partnership]) -> list[dict]:
    """Partners grouped by role, in the order of ``Partnership.Role``."""
    groups = []
    for role, label in Partnership.Role.choices:
        held = [_organisation(s.organisation) for s in partnerships if s.role == role]
        if held:
            groups.append({"role": role, "label": label, "organisations": held})
    return groups


def _dataset(dataset) -> dict:
    return {"name": dataset.name, "title": dataset.title, "url": dataset.get_absolute_url()}


def _places(project: Project) -> list[dict]:
    """Each place as described, with its area (named and linked) where it is one."""
    try:
        state = city_state()
        areas = {code: (geography, record) for (geography, code), record in state.areas.items()
                 if geography in state.profiled}
    except NotLoaded:
        areas = {}
    out = []
    for place in project.places.all():
        area = None
        if place.kind == ProjectPlace.Kind.AREA and place.area_code:
            geography, found = areas.get(place.area_code, (None, None))
            area = {"code": place.area_code,
                    "name": found.display_name if found else place.area_code,
                    "url": reverse("places:area", args=[geography, place.area_code])
                    if found else None}
        out.append({"description": place.description, "kind": place.kind,
                    "kind_label": place.get_kind_display(), "names": list(place.names),
                    "area": area})
    return out
