"""Changing datasets through CKAN: ``package_create``, ``package_update``, ``package_patch``
and ``package_delete``.

A package dictionary is read into the hub's own dataset form (``catalogue.forms.DatasetForm``,
the same checks as the dataset page) and saved as the page saves it. CKAN's names map onto
the hub's as :mod:`.serialise` writes them: ``notes``, ``owner_org`` (the organisation's name
or id), ``license_id``, ``tags`` (``[{"name": ...}]`` or ``tag_string``), ``groups`` (themes,
``[{"name": ...}]``), ``maintainer``/``maintainer_email`` (the contact), ``url`` or the
``source`` extra, the ``frequency`` extra, ``private``, ``access_level`` and
``restricted_columns``, ``state`` ("active" publishes, "draft" does not) and ``resources``
(:mod:`.resource_write`). Other keys and extras are not kept (the hub has no place for them).

* ``package_update`` and ``package_patch`` change the fields given and keep the rest (the
  hub's own settings, which no CKAN client knows, always); a ``resources`` list replaces the
  dataset's resources: listed ids are kept (their name and description updated), new ones
  made, unlisted ones deleted. A dataset's name cannot change.
* ``package_delete`` deletes the dataset, its resources, versions and their files (CKAN
  marks it deleted, for a sysadmin to restore or purge; here it is gone: ``package_show``
  answers Not Found either way).

Rights: creating needs an editor's role in ``owner_org``; changing and deleting an editor's
role in the dataset's organisation. A dataset the caller may not see is Not Found (404); one
they see but may not change is an Authorization Error (403). Bad input is a Validation Error
naming each field, and nothing changes.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q
from django.forms.models import model_to_dict

from commonground.accounts.models import Organisation

from .. import access
from ..forms import DatasetForm
from ..models import Dataset, Resource, Theme
from ..services import announce
from ..services.searchtext import refresh_search_text
from . import resource_write, serialise
from .context import Context, acting_user, changes_data
from .errors import NotAuthorized, ValidationError
from .package_actions import _visible_dataset
from .params import boolean, required_text, text

#: CKAN's ``name_validator``.
NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
NAME_MESSAGE = ("Must be purely lowercase alphanumeric (ascii) characters and these symbols: "
                "-_ (2 to 100 of them)")
#: Our form's fields by CKAN's names, for errors.
CKAN_NAMES = {"organisation": "owner_org", "licence": "license_id", "themes": "groups",
              "contact_name": "maintainer", "contact_email": "maintainer_email",
              "source": "url", "access": "access_level", "tags_text": "tags"}
STATES = {"active": Dataset.State.PUBLISHED, "draft": Dataset.State.DRAFT}


def _organisation(value, user) -> Organisation:
    key = str(value)
    by_pk = Q(pk=int(key)) if key.isascii() and key.isdigit() and len(key) < 10 else Q(pk__in=[])
    organisation = Organisation.objects.filter(Q(slug=key) | by_pk).first()
    if organisation is None:
        raise ValidationError({"owner_org": ["Organization does not exist"]})
    if not access.can_create_in(user, organisation):
        raise NotAuthorized(f"User {user.get_username()} not authorized to add dataset to "
                            f"organization {organisation.slug}")
    return organisation


def editable_dataset(context: Context, id_or_name, action: str) -> Dataset:
    """The dataset the caller may change: Not Found if they may not see it, else 403."""
    user = acting_user(context, action)
    dataset = _visible_dataset(context, id_or_name)
    if not access.can_edit(user, dataset):
        raise NotAuthorized(f"User {user.get_username()} not authorized to edit package "
                            f"{dataset.name}")
    return dataset


def _names(value, key: str) -> list[str]:
    """``[{"name": ...}]`` or ``["..."]`` as names."""
    if not isinstance(value, list):
        raise ValidationError({key: ["Must be a list"]})
    names = []
    for item in value:
        name = item.get("name") or item.get("id") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip() or "\x00" in name:
            raise ValidationError({key: [f"Each item needs a name: {item!r}"]})
        names.append(name.strip())
    return names


def _extras(data: dict) -> dict[str, str]:
    extras = data.get("extras") or []
    if not isinstance(extras, list) or not all(
            isinstance(e, dict) and isinstance(e.get("key"), str) for e in extras):
        raise ValidationError({"extras": ['Must be a list of {"key": ..., "value": ...}']})
    return {e["key"]: "" if e.get("value") is None else str(e["value"]) for e in extras}


def _form_data(data: dict, dataset: Dataset | None) -> dict:
    """The dataset form's data: the dataset's values (or a new one's defaults), with the
    package dictionary's fields over them."""
    if dataset is None:
        form = {"frequency": Dataset.Frequency.IRREGULAR, "licence": "notspecified",
                "access": "open", "nature": Dataset.Nature.SERVICE}
    else:
        form = model_to_dict(dataset, fields=DatasetForm._meta.fields)
        form["themes"] = [t.pk for t in dataset.themes.all()]
        form["tags_text"] = ", ".join(t.name for t in dataset.tags.all())
        form["access"] = dataset.access
    for ckan, ours in (("title", "title"), ("notes", "notes"), ("license_id", "licence"),
                       ("maintainer", "contact_name"), ("maintainer_email", "contact_email")):
        if ckan in data:
            form[ours] = text(data, ckan)
    _tags_and_groups(data, form)
    extras = _extras(data)
    if "source" in extras:
        form["source"] = extras["source"]
    elif "url" in data:
        form["source"] = text(data, "url")
    if "frequency" in extras:
        form["frequency"] = extras["frequency"]
    _access(data, form)
    return form


def _tags_and_groups(data: dict, form: dict) -> None:
    if "tags" in data:
        tags = _names(data["tags"], "tags")
    elif "tag_string" in data:
        tags = [t.strip() for t in text(data, "tag_string").split(",") if t.strip()]
    else:
        tags = None
    if tags is not None:
        if any("," in t for t in tags):
            raise ValidationError({"tags": ["A tag may not contain a comma"]})
        form["tags_text"] = ", ".join(tags)
    if "groups" in data:
        names = _names(data["groups"], "groups")
        themes = {t.name: t.pk for t in Theme.objects.filter(name__in=names)}
        unknown = [n for n in names if n not in themes]
        if unknown:
            raise ValidationError({"groups": [f"Group not found: {', '.join(unknown)}"]})
        form["themes"] = [themes[n] for n in names]


def _access(data: dict, form: dict) -> None:
    """``access_level`` when given, else ``private`` (false keeps a restricted dataset so)."""
    if "access_level" in data:
        form["access"] = text(data, "access_level")
    elif "private" in data:
        private = boolean(data["private"], False)
        form["access"] = "private" if private else (
            "open" if form["access"] == "private" else form["access"])
    if "restricted_columns" in data:
        columns = data["restricted_columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ValidationError({"restricted_columns": ["Must be a list of column names"]})
        form["restricted_columns"] = "\n".join(columns)


def _form_errors(form: DatasetForm) -> ValidationError:
    errors: dict[str, list[str]] = {}
    for field, messages in form.errors.items():
        key = CKAN_NAMES.get(field, field)
        if field == "name" and form.has_error("name", "unique"):
            messages = ["That URL is already in use."]
        errors.setdefault(key, []).extend(
            "Missing value" if m == "This field is required." else m for m in messages)
    return ValidationError(errors)


def _state(data: dict, current: str) -> str:
    if "state" not in data:
        return current
    state = text(data, "state")
    if state not in STATES:
        raise ValidationError({"state": [f'Must be "active" or "draft", not "{state}"']})
    return STATES[state]


def _save(context: Context, data: dict, dataset: Dataset | None, organisation) -> Dataset:
    """Validate the whole dictionary, then save it all or nothing."""
    user = context.user
    creating = dataset is None
    was_public = not creating and dataset.is_public
    form_data = _form_data(data, dataset)
    if creating:
        name = required_text(data, "name")
        if not NAME.match(name):
            raise ValidationError({"name": [NAME_MESSAGE]})
        if Dataset.objects.filter(name=name).exists():
            raise ValidationError({"name": ["That URL is already in use."]})
        form_data["name"] = name
        form_data["title"] = form_data.get("title") or name
    elif "name" in data and text(data, "name") != dataset.name:
        raise ValidationError({"name": ["A dataset's name cannot change here: it is in "
                                        "every link to it"]})
    if organisation is not None:
        form_data["organisation"] = organisation.pk
    state = _state(data, Dataset.State.PUBLISHED if creating else dataset.state)
    if "resources" in data and not isinstance(data["resources"], list):
        raise ValidationError({"resources": ["Must be a list of resource dictionaries"]})
    form = DatasetForm(form_data, instance=dataset or Dataset(), user=user)
    if not form.is_valid():
        raise _form_errors(form)
    return _commit(context, data, form, creating, state, was_public)


def _commit(context: Context, data: dict, form: DatasetForm, creating: bool, state: str,
            was_public: bool) -> Dataset:
    user = context.user
    with transaction.atomic():
        if creating:
            form.instance.created_by = user
        form.instance.state = state
        saved = form.save()
        if "resources" in data:
            resource_write.replace_resources(context, saved, data["resources"])
        refresh_search_text(saved)
        if saved.is_public and not was_public:
            transaction.on_commit(lambda: announce.dataset_published(saved, actor=user))
    return saved


def _shown(context: Context, dataset: Dataset) -> dict:
    return serialise.package_dict(context.request, _visible_dataset(context, str(dataset.pk)))


@changes_data
def package_create(context: Context, data: dict) -> dict:
    """Create a dataset (package) and return it as ``package_show`` does.

    :param name: its short name, in its links: lower case letters, digits, ``-`` and ``_``
    :type name: string
    :param owner_org: the publishing organization (name or id); you must be one of its
        editors
    :type owner_org: string
    :param title: (optional, default: the name)
    :param notes: description, Markdown (optional)
    :param license_id: one of ``license_list``'s ids (default ``notspecified``)
    :param tags: ``[{"name": ...}]`` (optional); or ``tag_string``, comma-separated
    :param groups: themes, ``[{"name": ...}]`` (optional)
    :param maintainer: the contact's name; ``maintainer_email`` their address (optional)
    :param url: the source, when it is a web page (optional); the ``source`` extra wins
    :param extras: ``frequency`` and ``source`` are kept (optional)
    :param private: only the organization's members see it (default false); or
        ``access_level`` "open", "restricted" or "private"
    :param state: "active" (published, the default) or "draft"
    :param resources: resource dictionaries with a ``url`` each (optional)
    :rtype: dictionary
    """
    user = acting_user(context, "package_create")
    organisation = _organisation(required_text(data, "owner_org"), user)
    return _shown(context, _save(context, data, None, organisation))


def _change(context: Context, data: dict, action: str) -> dict:
    key = data.get("id") or data.get("name")
    if not key:
        raise ValidationError({"id": ["Missing value"]})
    dataset = editable_dataset(context, key, action)
    organisation = None
    if data.get("owner_org") not in (None, "") and str(data["owner_org"]) not in (
            dataset.organisation.slug, str(dataset.organisation_id)):
        organisation = _organisation(data["owner_org"], context.user)
    return _shown(context, _save(context, data, dataset, organisation))


@changes_data
def package_update(context: Context, data: dict) -> dict:
    """Update a dataset (package): the fields given change, the others are kept; a
    ``resources`` list replaces its resources (unlisted ones are deleted).

    :param id: the id or name of the dataset
    :type id: string

    Other parameters as ``package_create``. You must be an editor of its organization.

    :rtype: dictionary
    """
    return _change(context, data, "package_update")


@changes_data
def package_patch(context: Context, data: dict) -> dict:
    """Change some fields of a dataset (package), keeping the others.

    :param id: the id or name of the dataset
    :type id: string

    Other parameters as ``package_create``.

    :rtype: dictionary
    """
    return _change(context, data, "package_patch")


@changes_data
def package_delete(context: Context, data: dict) -> None:
    """Delete a dataset (package), its resources, their versions and files.

    :param id: the id or name of the dataset
    :type id: string
    """
    dataset = editable_dataset(context, required_text(data, "id"), "package_delete")
    resource_write.refuse_feeds(dataset.resources.filter(kind=Resource.Kind.FEED))
    with transaction.atomic():
        for resource in dataset.resources.all():
            resource_write.delete_resource(resource)
        dataset.delete()
    return None

