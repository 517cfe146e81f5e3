"""CKAN actions, one function each: ``action(context, data_dict) -> result``.

This module is the table the view dispatches on (:data:`ACTIONS`), and the site-level
actions ``status_show``, ``site_read`` and ``help_show``. The others live by subject:
:mod:`.package_actions` (datasets and resources, ``package_search``),
:mod:`.organization_actions` (organizations, groups, tags) and :mod:`.datastore_actions`
(rows); they read ``data_dict`` through :mod:`.params` and receive a :class:`.Context`.

Each action reads its parameters from ``data_dict`` (strings when they came from a query
string, any JSON type when they came from a JSON body), checks permissions through
:mod:`commonground.catalogue.access`, and raises :mod:`.errors` exceptions that the view
turns into CKAN's envelope. The docstrings are what ``help_show`` returns.

Visibility: drafts and private datasets are left out of lists and searches
(``package_search`` shows those the caller may see with ``include_private=true`` and
``include_drafts=true``); asking for one the caller may not see, by id or name, is a
``Not Found Error`` (404) exactly as for one that does not exist (CKAN answers 403, which
tells that it exists). A parameter of the wrong type (a list where a string belongs, a
string that is not an integer, ...) is a ``Validation Error`` (409) naming it, never a 500.

Guardrails, as CKAN's: ``package_search`` returns at most
:data:`.package_actions.SEARCH_ROWS_MAX` rows (``ckan.search.rows_max``), ``datastore_search``
at most :data:`.datastore_actions.DATASTORE_ROWS_MAX` (``ckan.datastore.search.rows_max``):
larger ``rows``/``limit`` are capped, silently. ``datastore_search_sql`` runs in
:mod:`commonground.datastore.sqlsandbox` for at most ``COMMONGROUND_SQL_TIMEOUT`` seconds
(default 5).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import (
    datastore_actions,
    datastore_write,
    lookup_actions,
    organization_actions,
    organization_write,
    package_actions,
    package_revise,
    package_write,
    resource_write,
)
from .context import Context
from .errors import NotFound
from .params import required_text

__all__ = ["ACTIONS", "CKAN_VERSION", "Context", "help_show", "site_read", "status_show"]

CKAN_VERSION = "2.10.0"


def status_show(context: Context, data: dict) -> dict:
    """Return the site's version, title, URL and extensions.

    :rtype: dictionary
    """
    return {"site_title": "Common Ground",
            "site_description": "A community data hub: datasets linked to places.",
            "site_url": context.request.build_absolute_uri("/").rstrip("/"),
            "ckan_version": CKAN_VERSION, "error_emails_to": None, "locale_default": "en_GB",
            "extensions": ["datastore"]}


def site_read(context: Context, data: dict) -> bool:
    """Return ``True``.

    :rtype: bool
    """
    return True


def help_show(context: Context, data: dict) -> str:
    """Return the help string for an action.

    :param name: name of the action (e.g. ``'package_search'``)
    :type name: string

    :rtype: string
    """
    name = required_text(data, "name")
    function = ACTIONS.get(name)
    if function is None:
        raise NotFound("Action function not found")
    return inspect.getdoc(function)


#: Every action by its CKAN name. An action is a plain function; list it here to serve it.
ACTIONS: dict[str, Callable[[Context, dict], Any]] = {function.__name__: function for function in (
    status_show,
    site_read,
    help_show,
    package_actions.package_list,
    package_actions.package_show,
    package_actions.resource_show,
    package_actions.package_search,
    organization_actions.organization_list,
    organization_actions.organization_show,
    organization_actions.group_list,
    organization_actions.tag_list,
    datastore_actions.datastore_search,
    datastore_actions.datastore_search_sql,
    lookup_actions.license_list,
    lookup_actions.package_autocomplete,
    lookup_actions.resource_search,
    lookup_actions.current_package_list_with_resources,
    package_write.package_create,
    package_write.package_update,
    package_write.package_patch,
    package_write.package_delete,
    package_revise.package_revise,
    resource_write.resource_create,
    resource_write.resource_update,
    resource_write.resource_patch,
    resource_write.resource_delete,
    organization_write.organization_create,
    organization_write.organization_member_create,
    datastore_write.datastore_create,
    datastore_write.datastore_upsert,
    datastore_write.datastore_delete,
    datastore_write.datastore_info,
)}
