"""Evidence packs as JSON (django-ninja, mounted at ``/api/evidence``).

The same rule as the pages (``access``): anyone reads published packs; a draft is read only by
its group's members and site staff, and to anyone else it does not exist (404, so its title is
not revealed), in the list as on its page. A withdrawn pack stays readable at its address and
leaves the list unless asked for. One pack is ``document.pack_dict``: what its page, its PDF
and ``/evidence/<id>.json`` show. Who calls: ``commonground.apiauth``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apiauth import Page, PageParams, page, viewer
from commonground.apierrors import errors

from . import access, document, services
from .models import EvidencePack

router = Router(tags=["evidence"])

STATES = list(EvidencePack.State.values)


class PackOut(Schema):
    id: int
    title: str
    question: str
    state: str = Field(json_schema_extra={"enum": STATES})
    organisation: dict[str, str] = Field(description="slug and name of the group")
    place: dict[str, str] = Field(description="name, geography and code (GSS) of the place")
    created: datetime
    published: datetime | None
    withdrawn: datetime | None = Field(description="When it was withdrawn (it stays readable)")
    url: str


class PackPage(Page):
    packs: list[PackOut]


class PackParams(PageParams):
    place: str = Field("", description="One LSOA, MSOA or ward of the city, by name or code")
    group: str = Field("", description="The group's slug")
    state: str = Field("", json_schema_extra={"enum": ["", *STATES]},
                       description="draft (the caller's groups' only) or published")
    withdrawn: bool = Field(False, description="Include withdrawn packs")


class PackDetail(Schema):
    id: int
    title: str
    question: str
    intro: str = Field(description="Markdown")
    state: str = Field(json_schema_extra={"enum": STATES})
    slug: str
    url: str
    organisation: dict[str, str]
    place: dict[str, str]
    created: str
    updated: str
    published: str | None
    withdrawn: dict[str, str] | None = Field(description="on, day and the public reason")
    items: list[dict[str, Any]] = Field(description=(
        "In order: kind (profile, dataset, lens, text), the frozen snapshot's figures and "
        "citations, when taken, and newer data since; an item whose source the public can "
        "no longer check says ``withheld`` instead"))


def _summary(request, pack: EvidencePack) -> dict:
    return {"id": pack.pk, "title": pack.title, "question": pack.question, "state": pack.state,
            "organisation": {"slug": pack.organisation.slug, "name": pack.organisation.name},
            "place": {"name": pack.area_name, "geography": pack.geography, "code": pack.code},
            "created": pack.created, "published": pack.published, "withdrawn": pack.withdrawn,
            "url": request.build_absolute_uri(pack.get_absolute_url())}


@router.get("/packs", response=PackPage, openapi_extra=errors(400, 401, 422, 503),
            summary="Evidence packs: published ones, and drafts of the caller's groups")
def pack_list(request, params: Query[PackParams]):
    """Newest first. ``place``: 400 when it is not one neighbourhood (LSOA), area (MSOA) or
    ward of the city."""
    user = viewer(request)
    code = ""
    if params.place.strip():
        try:
            code = services.find_place(params.place).code
        except services.PackError as exc:
            raise HttpError(400, f"{exc} (parameter: place)") from None
    packs = services.listing(user, place=code, group=params.group.strip())
    if params.state:
        packs = packs.filter(state=params.state)
    if not params.withdrawn:
        packs = packs.filter(withdrawn__isnull=True)
    counts, rows = page(packs, params)
    return {**counts, "packs": [_summary(request, p) for p in rows]}


@router.get("/packs/{pk}", response=PackDetail, openapi_extra=errors(401, 404, 422),
            summary="One evidence pack with its cited items")
def pack_detail(request, pk: int):
    """A draft is a 404 to anyone outside its group, as its page is."""
    pack = get_object_or_404(EvidencePack.objects.select_related("organisation"), pk=pk)
    if not access.can_read(viewer(request), pack):
        raise Http404("No such evidence pack")
    return document.pack_dict(pack)
