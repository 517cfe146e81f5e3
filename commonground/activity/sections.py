"""Sections one app adds to another app's page, so the page composes them without importing
the apps that provide them.

A page (``"group"``: a group's page; ``"place"``: a place's page; ``"project"``: a smart-city
project's page; ``"requests"``: the list of data requests; ``"offer"``: an energy offer as its
organisation's members see it) renders, in ``order``, the
sections registered for it. An app registers one in its ``AppConfig.ready``::

    sections.register("group", order=20, template="evidence/_group_packs.html",
                      context=packs_section)

``context(request, **thing)`` gets what the page is about (``organisation=`` for a group; ``project=`` for a project;
``geography=`` and ``code=`` for a place; ``consultation=`` for a consultation; ``offer=``
for an offer; nothing for the requests) and returns the section's dictionary, or None when
the section is not shown. The template reads that dictionary as ``section``, beside the
page's own context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PAGES = ("group", "place", "project", "consultation", "requests", "offer")


@dataclass(frozen=True)
class Section:
    page: str
    order: int
    template: str
    context: Callable[..., dict | None]


_SECTIONS: dict[tuple[str, str], Section] = {}


def register(page: str, *, order: int, template: str,
             context: Callable[..., dict | None]) -> Section:
    """Add a section to ``page`` (registering the same template again replaces it)."""
    if page not in PAGES:
        raise ValueError(f"no page takes sections: {page!r} (pages: {', '.join(PAGES)})")
    section = Section(page, order, template, context)
    _SECTIONS[(page, template)] = section
    return section


def for_page(page: str, request, **thing) -> list[dict]:
    """The sections shown on ``page`` for ``thing``, in order: ``{"template", "section"}``
    each (``{% include s.template with section=s.section %}``)."""
    shown = []
    for registered in sorted((s for s in _SECTIONS.values() if s.page == page),
                             key=lambda s: (s.order, s.template)):
        context = registered.context(request, **thing)
        if context is not None:
            shown.append({"template": registered.template, "section": context})
    return shown
