"""The partnerships pages: the network of organisations and projects (page, JSON, CSV) and an
organisation's page (page, JSON, and its projects and roles as CSV). Only published projects appear, to every reader alike: a
draft is never drawn, counted or named here, and an organisation only drafts name is 404
but to the members of the organisation keeping the draft (``access.visible_organisations``;
they see its entry, with no projects). Thin: read the filters, build the network
(``network.py``), one dictionary for the page and its JSON twin."""

from __future__ import annotations

import csv
import re
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from commonground.datastore.export import FORMULA_START

from . import access, network, periods
from .models import Funding, PartnerOrganisation, Partnership, Project

_PUBLISHED = {"project__state": Project.State.PUBLISHED}


def published_network() -> network.Network:
    """Every published project, the organisations it names as partners or funders, the ties."""
    rows = (Project.objects.filter(state=Project.State.PUBLISHED)
            .values_list("slug", "title", "themes", "start_on", "end_on", "status"))
    projects = [network.Project(slug, title, tuple(t for t in themes if isinstance(t, str))
                                if isinstance(themes, list) else (), start, end,
                                status == Project.Status.LIVE)
                for slug, title, themes, start, end, status in rows]
    ties = [network.Tie(o, p, role) for o, p, role in Partnership.objects.filter(**_PUBLISHED)
            .values_list("organisation__slug", "project__slug", "role")]
    ties += [network.Tie(o, p, Partnership.Role.FUNDER) for o, p in Funding.objects
             .filter(**_PUBLISHED).values_list("funder__slug", "project__slug")]
    labels = dict(PartnerOrganisation.Kind.choices)
    organisations = [network.Organisation(slug, name, kind, labels.get(kind, kind))
                     for slug, name, kind in PartnerOrganisation.objects
                     .filter(slug__in={t.organisation for t in ties})
                     .values_list("slug", "name", "kind")]
    return network.build(organisations, projects, ties)


class FilterError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def read_filters(query, themes: list[str]) -> dict:
    """theme, from, to (years) from the query string, checked; FilterError names the field."""
    asked = {"theme": query.get("theme", "").strip(), "from": query.get("from", "").strip(),
             "to": query.get("to", "").strip()}
    if asked["theme"] and asked["theme"] not in themes:
        raise FilterError("theme", f"Theme: no published project has the theme "
                                   f"“{asked['theme'][:60]}”. Choose one from the list.")
    years = {}
    for name, words in (("from", "From year"), ("to", "To year")):
        text = asked[name]
        if text and not re.fullmatch(r"\d{4}", text):
            raise FilterError(name, f"{words}: write a year as four digits, such as 2015, "
                                    f"not “{text[:20]}”.")
        years[name] = int(text) if text else None
    if years["from"] and years["to"] and years["from"] > years["to"]:
        raise FilterError("to", f"To year: {years['to']} comes before the from year "
                                f"{years['from']}. Swap them round.")
    return {"theme": asked["theme"] or None, "from": years["from"], "to": years["to"]}


def _themes(whole: network.Network) -> list[str]:
    return sorted({t for p in whole.projects for t in p.themes})


class _Links:
    """The addresses of projects and organisations, each looked up once per request (a page
    names each organisation many times: as a node, a partner, a pair)."""

    def __init__(self):
        self.known: dict[tuple[str, str], str] = {}

    def __call__(self, name: str, slug: str) -> str:
        if (name, slug) not in self.known:
            self.known[name, slug] = reverse(f"projects:{name}", args=[slug])
        return self.known[name, slug]

    def project(self, slug: str) -> str:
        return self("project", slug)

    def organisation(self, slug: str) -> str:
        return self("organisation", slug)


def _summary(net: network.Network, filters: dict, links: _Links, left_out: int = 0) -> dict:
    """The page's facts, once: the page and network.json both show this. ``left_out``: the
    projects the period left out for having no known start."""
    roles: dict[tuple[str, str], list[str]] = {}
    for t in net.ties:
        roles.setdefault((t.organisation, t.project), []).append(t.role)
    titles = {p.slug: p.title for p in net.projects}
    orgs = net.organisations
    return {
        "filters": filters,
        "counts": {"projects": len(net.projects), "organisations": len(orgs),
                   "ties": len(net.ties)},
        "in_words": network.in_words(net),
        "undated_left_out": left_out,
        "undated_left_out_words": periods.left_out_words(left_out),
        "projects": [{"id": p.slug, "title": p.title, "url": links.project(p.slug),
                      "start": p.start.isoformat() if p.start else None,
                      "end": p.end.isoformat() if p.end else None, "themes": list(p.themes),
                      "organisations": sorted(net.members[p.slug])} for p in net.projects],
        "organisations": [
            {"id": r.organisation.slug, "name": r.organisation.name,
             "kind": r.organisation.kind, "kind_label": r.organisation.kind_label,
             "url": links.organisation(r.organisation.slug),
             "projects": [{"id": s, "title": titles[s], "url": links.project(s),
                           "roles": roles[r.organisation.slug, s]} for s in r.projects],
             "partners": [{"id": s, "name": orgs[s].name, "url": links.organisation(s),
                           "projects_together": n} for s, n in r.partners]}
            for r in network.reach(net)],
        "kinds": [{"kind": k.kind, "label": k.label, "organisations": k.organisations,
                   "share_percent": round(100 * k.organisations / len(orgs)),
                   "projects": k.projects, "in_words": network.share_in_words(k, net)}
                  for k in network.kind_shares(net)],
        "pairs": [{"organisations": [q.first.slug, q.second.slug],
                   "names": [q.first.name, q.second.name], "projects": list(q.projects)}
                  for q in network.pairs(net)],
        "naming_community_partner": [p.slug for p in
                                     network.naming_role(net, network.COMMUNITY_ROLE)],
        "without_community_partner": [p.slug for p in network.without_community(net)],
        "ties": [{"organisation": t.organisation, "project": t.project, "role": t.role}
                 for t in net.ties],
    }


def _filtered(request, whole: network.Network | None = None):
    """(the network for the query's filters, the filters, how many projects the period left
    out for having no known start) or FilterError."""
    whole = whole or published_network()
    filters = read_filters(request.GET, _themes(whole))
    chosen = {"theme": filters["theme"], "first_year": filters["from"],
              "last_year": filters["to"]}
    return (network.select(whole, **chosen), filters,
            network.left_out_undated(whole, **chosen))


def network_page(request):
    form = {k: request.GET.get(k, "").strip()[:60] for k in ("theme", "from", "to")}
    whole = published_network()
    try:
        net, filters, left_out = _filtered(request, whole)
    except FilterError as exc:
        return render(request, "projects/network.html", {
            "form": form, "themes": _themes(whole), "error": str(exc),
            "error_field": exc.field, "period_rule": periods.RULE_WORDS}, status=400)
    links = _Links()
    summary = _summary(net, filters, links, left_out)
    titles = {p["id"]: p["title"] for p in summary["projects"]}
    return render(request, "projects/network.html", {
        "form": form, "themes": _themes(whole), "summary": summary,
        "period_rule": periods.RULE_WORDS,
        "picture": network.layout(net, href=links),
        "without": [(s, titles[s]) for s in summary["without_community_partner"]],
        "query": urlencode({k: v for k, v in filters.items() if v})})


def network_json(request):
    try:
        net, filters, left_out = _filtered(request)
    except FilterError as exc:
        return JsonResponse({"errors": {exc.field: str(exc)}}, status=400)
    return JsonResponse(_summary(net, filters, _Links(), left_out),
                        json_dumps_params={"ensure_ascii": False})


def _cell(text: str) -> str:
    """Text a spreadsheet would read as a formula gets a leading ' (OWASP CSV injection)."""
    return "'" + text if re.match(FORMULA_START, text) else text


def network_csv(request):
    try:
        net, _, _ = _filtered(request)
    except FilterError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="network.csv"'
    titles = {p.slug: p.title for p in net.projects}
    out = csv.writer(response)
    out.writerow(["organisation", "project", "role", "organisation_name", "organisation_kind",
                  "project_title"])
    for t in net.ties:
        org = net.organisations[t.organisation]
        out.writerow([t.organisation, t.project, t.role, _cell(org.name), org.kind,
                      _cell(titles[t.project])])
    return response


def _web(url) -> str:
    """``url`` if it is a web address (http or https), else "" (never a javascript: link)."""
    return url if isinstance(url, str) and re.match(r"https?://", url, re.I) else ""


def _organisation(request, slug: str, links: _Links) -> dict:
    """An organisation's page as a dictionary: 404 unless a project the reader may see names
    it (``access.visible_organisations``), so a draft's new partner is not acknowledged."""
    org = get_object_or_404(access.visible_organisations(request.user)
                            .select_related("hub_organisation"), slug=slug)
    net = published_network()
    found = next((r for r in network.reach(net) if r.organisation.slug == slug), None)
    roles: dict[str, list[str]] = {}
    for t in net.ties:
        if t.organisation == slug:
            roles.setdefault(t.project, []).append(t.role)
    projects = {p.slug: p for p in net.projects}
    labels = dict(Partnership.Role.choices)
    funding = (Funding.objects.filter(funder=org, **_PUBLISHED).select_related("project")
               .order_by("project__start_on", "project__title", "pk"))
    hub = org.hub_organisation
    return {
        "id": org.slug, "name": org.name, "kind": org.kind, "kind_label": org.get_kind_display(),
        "url": _web(org.url),
        "sources": [s for s in org.sources if _web(s)] if isinstance(org.sources, list) else [],
        "hub_organisation": {"name": hub.name, "url": reverse("community:group", args=[hub.slug])}
        if hub else None,
        "projects": [{"id": s, "title": projects[s].title, "url": links.project(s),
                      "start": projects[s].start.year if projects[s].start else None,
                      "roles": roles[s], "role_labels": [labels.get(r, r) for r in roles[s]]}
                     for s in (found.projects if found else ())],
        "partners": [{"id": s, "name": net.organisations[s].name, "url": links.organisation(s),
                      "kind_label": net.organisations[s].kind_label, "projects_together": n}
                     for s, n in (found.partners if found else ())],
        "funding_given": [{"project": f.project.slug, "title": f.project.title,
                           "url": links.project(f.project.slug), "programme": f.programme,
                           "amount_gbp": f.amount_gbp, "source": _web(f.source)} for f in funding],
    }


def organisation_page(request, slug: str):
    return render(request, "projects/organisation.html",
                  {"org": _organisation(request, slug, _Links())})


def organisation_json(request, slug: str):
    return JsonResponse(_organisation(request, slug, _Links()),
                        json_dumps_params={"ensure_ascii": False})


def organisation_csv(request, slug: str):
    """The organisation's published projects, one row for each role it holds in each (the
    page's table; a funder's money is in the JSON)."""
    org = _organisation(request, slug, _Links())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org["id"]}.csv"'
    out = csv.writer(response)
    out.writerow(["organisation", "project", "role", "project_title", "start_year",
                  "project_url"])
    for p in org["projects"]:
        for role in p["roles"]:
            out.writerow([org["id"], p["id"], role, _cell(p["title"]), p["start"] or "",
                          request.build_absolute_uri(p["url"])])
    return response
