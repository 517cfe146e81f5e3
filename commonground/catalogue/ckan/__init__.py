"""CKAN's Action API (version 3) over the catalogue and the datastore.

CKAN clients (``ckanapi``, CKAN harvesters, notebooks written for data.gov.uk or
data.europa.eu) work against a Common Ground hub unchanged: ``/api/3/action/<name>`` (and
``/api/action/<name>``) answers GET with query parameters and POST with a JSON body or form
data, in CKAN 2.10's envelope::

    {"help": "https://hub/api/3/action/help_show?name=package_show",
     "success": true, "result": {...}}

Errors carry CKAN's ``__type`` and HTTP status (see :mod:`.errors`), so ``ckanapi`` raises
its usual ``NotFound``, ``NotAuthorized``, ``ValidationError`` and ``SearchQueryError``.

Modules: :mod:`.views` (HTTP: parse the request, authenticate, call, wrap), :mod:`.actions`
(the table of actions, each ``action(context, data_dict) -> result``, in
:mod:`.package_actions`, :mod:`.organization_actions` and :mod:`.datastore_actions`;
:mod:`.params` and :mod:`.solr_query` parse their parameters), :mod:`.serialise`
(CKAN's package, resource, organization and group dictionaries), :mod:`.tokens` (who
calls: a person's API token or the browser session), :mod:`.errors`. Actions that change
data are in :mod:`.package_write`, :mod:`.resource_write`, :mod:`.organization_write` and
:mod:`.datastore_write`.
Every permission check goes through :mod:`commonground.catalogue.access`.

Reading: ``status_show``, ``site_read``, ``help_show``, ``package_list``, ``package_show``,
``package_search``, ``package_autocomplete``, ``resource_show``, ``organization_list``,
``organization_show``, ``group_list``, ``tag_list``, ``license_list``, ``resource_search``,
``current_package_list_with_resources``, ``datastore_search``, ``datastore_search_sql``. Writing (POST only, by API token, or by the session with its CSRF
token): ``package_create``, ``package_update``, ``package_patch``, ``package_delete``,
``package_revise`` (top-level fields: :mod:`.package_revise`),
``resource_create`` (a file as ``upload``, or a ``url``), ``resource_update``,
``resource_patch``, ``resource_delete``, ``organization_create``,
``organization_member_create``, ``datastore_create``, ``datastore_upsert``,
``datastore_delete`` (each a new immutable version: :mod:`.datastore_write`, with
``datastore_info``).
"""
