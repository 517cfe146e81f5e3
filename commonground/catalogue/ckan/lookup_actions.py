"""Lists publishing clients look things up in: ``license_list`` and ``package_autocomplete``."""

from __future__ import annotations

from django.db.models import Q

from .. import access
from ..licences import LICENCES
from ..models import Dataset
from .context import Context
from .params import natural, text

AUTOCOMPLETE_MAX = 100


def license_list(context: Context, data: dict) -> list[dict]:
    """Return the licences a dataset may carry (``license_id`` of ``package_create``).

    :rtype: list of dictionaries
    """
    return [{"id": lic.id, "title": lic.title, "url": lic.url, "status": "active",
             "od_conformance": "approved" if lic.open else "not reviewed",
             "osd_conformance": "not reviewed", "family": "", "maintainer": "",
             "domain_content": False, "domain_data": lic.open, "domain_software": False,
             "is_generic": lic.id.startswith("other") or None, "is_okd_compliant": lic.open,
             "is_osi_compliant": False}
            for lic in LICENCES]


def package_autocomplete(context: Context, data: dict) -> list[dict]:
    """Return published datasets the caller may see whose title or name contains ``q``,
    titles matching first.

    :param q: the text to look for (any case)
    :type q: string
    :param limit: at most this many (default 10, at most 100)
    :type limit: int

    :returns: ``name``, ``title``, ``match_field`` ("title" or "name") and
        ``match_displayed`` of each
    :rtype: list of dictionaries
    """
    q = text(data, "q").strip()
    limit = min(natural(data, "limit", 10), AUTOCOMPLETE_MAX)
    if not q:
        return []
    found = access.visible_datasets(context.user).filter(
        Q(title__icontains=q) | Q(name__icontains=q), state=Dataset.State.PUBLISHED)
    rows = sorted(found.values_list("name", "title"),
                  key=lambda nt: (q.lower() not in nt[1].lower(), nt[1].lower(), nt[0]))
    out = []
    for name, title in rows[:limit]:
        by_title = q.lower() in title.lower()
        out.append({"name": name, "title": title,
                    "match_field": "title" if by_title else "name",
                    "match_displayed": title if by_title else f"{name} ({title})"})
    return out
