"""Organization (publisher), group (theme) and tag actions: ``organization_list``,
``organization_show``, ``group_list`` and ``tag_list``.

Dataset counts and included datasets are the published datasets the caller may see.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q

from commonground.accounts.models import Organisation

from .. import access
from ..models import Dataset, Tag, Theme
from . import serialise
from .context import Context
from .errors import NotFound, ValidationError
from .package_actions import SEARCH_ROWS_MAX, datasets_with_everything
from .params import boolean, natural, required_text, string_list, text


def _counts_by(context: Context, field: str) -> Counter:
    """Published datasets the caller may see, counted by ``field``."""
    visible = access.visible_datasets(context.user).filter(state=Dataset.State.PUBLISHED)
    return Counter(dict(visible.values(field).annotate(n=Count("pk", distinct=True))
                        .values_list(field, "n")))


def _list_of(context: Context, data: dict, objects: list, name, title, counts: Counter,
             to_dict) -> list:
    q = text(data, "q").lower()
    if q:
        objects = [o for o in objects if q in name(o).lower() or q in title(o).lower()]
    sort = text(data, "sort").split() or ["name", "asc"]
    field, descending = sort[0], len(sort) > 1 and sort[1].lower() == "desc"
    keys = {"name": name, "title": lambda o: title(o).lower(),
            "package_count": lambda o: counts[o.pk], "packages": lambda o: counts[o.pk]}
    if field not in keys or len(sort) > 2:
        raise ValidationError({"sort": [f"Cannot sort by {' '.join(sort)!r}: use name, title "
                                        "or package_count, then asc or desc"]})
    objects = sorted(objects, key=keys[field], reverse=descending)
    limit = natural(data, "limit", None)
    offset = natural(data, "offset", 0)
    objects = objects[offset:offset + limit] if limit is not None else objects[offset:]
    if boolean(data.get("all_fields"), False):
        return [to_dict(o, package_count=counts[o.pk]) for o in objects]
    return [name(o) for o in objects]


def organization_list(context: Context, data: dict) -> list:
    """Return the names of the site's organizations (publishers), sorted by name.

    :param all_fields: return organization dictionaries with ``package_count`` (the
        published datasets the caller may see) instead of names (default false)
    :type all_fields: bool
    :param sort: ``name``, ``title`` or ``package_count``, then ``asc`` or ``desc``
        (default ``"name asc"``)
    :type sort: string
    :param q: only organizations whose name or title contains this
    :type q: string
    :param organizations: only these organizations (names)
    :type organizations: list of strings
    :param limit: at most this many (optional)
    :type limit: int
    :param offset: skip this many (optional)
    :type offset: int

    :rtype: list of strings or dictionaries
    """
    organisations = Organisation.objects.all()
    wanted = string_list(data.get("organizations"), "organizations")
    if wanted:
        organisations = organisations.filter(slug__in=wanted)
    return _list_of(context, data, list(organisations), lambda o: o.slug, lambda o: o.name,
                    _counts_by(context, "organisation"), serialise.organization_dict)


def organization_show(context: Context, data: dict) -> dict:
    """Return an organization (publisher).

    :param id: the id or name of the organization
    :type id: string
    :param include_datasets: include its published datasets the caller may see, at most
        1000 (default false)
    :type include_datasets: bool

    :rtype: dictionary
    """
    key = required_text(data, "id")
    by_pk = Q(pk=int(key)) if key.isascii() and key.isdigit() and len(key) < 10 else Q(pk__in=[])
    organisation = Organisation.objects.filter(Q(slug=key) | by_pk).first()
    if organisation is None:
        raise NotFound("Organization was not found.")
    datasets = access.visible_datasets(context.user).filter(
        organisation=organisation, state=Dataset.State.PUBLISHED)
    out = serialise.organization_dict(organisation, package_count=datasets.count())
    if boolean(data.get("include_datasets"), False):
        chosen = datasets_with_everything().filter(
            pk__in=datasets.values("pk")).order_by("name")[:SEARCH_ROWS_MAX]
        out["packages"] = [serialise.package_dict(context.request, d) for d in chosen]
    return out


def group_list(context: Context, data: dict) -> list:
    """Return the names of the site's groups (themes such as health or transport), sorted.

    Parameters as ``organization_list`` (``groups`` instead of ``organizations``).

    :rtype: list of strings or dictionaries
    """
    themes = Theme.objects.all()
    wanted = string_list(data.get("groups"), "groups")
    if wanted:
        themes = themes.filter(name__in=wanted)
    return _list_of(context, data, list(themes), lambda t: t.name, lambda t: t.title,
                    _counts_by(context, "themes"),
                    lambda t, package_count: serialise.group_dict(
                        t, package_count=package_count, full=True))


def tag_list(context: Context, data: dict) -> list:
    """Return the tags of the published datasets the caller may see, sorted by name.

    :param query: only tags whose names contain this (any case)
    :type query: string
    :param all_fields: return tag dictionaries instead of names (default false)
    :type all_fields: bool

    :rtype: list of strings or dictionaries
    """
    visible = access.visible_datasets(context.user).filter(state=Dataset.State.PUBLISHED)
    tags = Tag.objects.filter(datasets__in=visible).distinct()
    wanted = text(data, "query") or text(data, "q")
    if wanted:
        tags = tags.filter(name__icontains=wanted)
    tags = sorted(tags, key=lambda t: t.name)  # the same order on SQLite and PostgreSQL
    if boolean(data.get("all_fields"), False):
        return [serialise.tag_dict(t) for t in tags]
    return [t.name for t in tags]
