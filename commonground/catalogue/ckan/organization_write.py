"""Changing organizations through CKAN: ``organization_create`` and
``organization_member_create``.

* ``organization_create``: site staff create any organisation (``extras`` ``kind``: council,
  university, ...; default community group); anyone else signed in starts a community group,
  as the groups page does (:func:`commonground.accounts.organisations.create_group`: they become
  its admin, its short name is made from its title). Either way the creator is its admin.
* ``organization_member_create``: an admin of the organisation changes the role (member,
  editor, admin) of someone already in it (the last admin cannot step down:
  ``groups.set_role``); only site staff add a person who is not (anyone else is refused
  without being told whether the name exists: nobody is put in a group without asking).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.text import slugify

from commonground.accounts import organisations as groups
from commonground.accounts import permissions, ratelimit
from commonground.accounts.models import Membership, Organisation
from commonground.activity import events

from . import serialise
from .context import Context, acting_user, changes_data
from .errors import NotAuthorized, NotFound, ValidationError
from .package_write import NAME, NAME_MESSAGE
from .params import required_text, text

#: CKAN's organization roles are the hub's.
ROLES = Membership.Role.values


def _staff(user) -> bool:
    return bool(user.is_staff and user.is_active)


def _create_as_staff(user, data: dict) -> Organisation:
    slug = required_text(data, "name")
    if not NAME.match(slug) or len(slug) > 50:
        raise ValidationError({"name": [NAME_MESSAGE.replace("100", "50")]})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError({"name": ["Group name already exists in database"]})
    extras = data.get("extras") or []
    if not isinstance(extras, list):
        raise ValidationError({"extras": ['Must be a list of {"key": ..., "value": ...}']})
    extras = {e.get("key"): e.get("value") for e in extras if isinstance(e, dict)}
    kind = extras.get("kind") or Organisation.Kind.COMMUNITY_GROUP
    if kind not in Organisation.Kind.values:
        raise ValidationError({"kind": [f"Must be one of {', '.join(Organisation.Kind.values)}"]})
    with transaction.atomic():
        organisation = Organisation.objects.create(
            slug=slug, name=text(data, "title").strip() or slug, kind=kind,
            description=text(data, "description"))
        Membership.objects.create(organisation=organisation, user=user,
                                  role=Membership.Role.ADMIN)
    return organisation


def _start_group(user, data: dict) -> Organisation:
    title = text(data, "title").strip() or text(data, "name").strip()
    wanted = text(data, "name").strip()
    if wanted and wanted != slugify(title)[:50].strip("-"):
        raise ValidationError({"name": [f"A group's short name is made from its title: "
                                        f"\"{slugify(title)[:50].strip('-')}\" for this one"]})
    try:
        return groups.create_group(user, name=title, description=text(data, "description"))
    except groups.GroupError as exc:
        raise ValidationError({"title" if exc.field == "name" else exc.field: [str(exc)]}) \
            from None
    except ratelimit.RateLimited as exc:
        raise NotAuthorized(str(exc)) from None


@changes_data
def organization_create(context: Context, data: dict) -> dict:
    """Create an organization; you become its admin.

    :param name: its short name (lower case letters, digits, ``-``, ``_``)
    :type name: string
    :param title: its full name
    :type title: string
    :param description: (optional)
    :param extras: ``[{"key": "kind", "value": "council"}]`` (site staff only; others start
        a community group, named from its title)

    :rtype: dictionary
    """
    user = acting_user(context, "organization_create")
    organisation = _create_as_staff(user, data) if _staff(user) else _start_group(user, data)
    return serialise.organization_dict(organisation, package_count=0)


@changes_data
def organization_member_create(context: Context, data: dict) -> dict:
    """Add a person to an organization, or change their role (its admins only).

    :param id: the organization's name or id
    :type id: string
    :param username: the person's user name
    :type username: string
    :param role: ``member``, ``editor`` or ``admin``
    :type role: string

    :rtype: dictionary
    """
    user = acting_user(context, "organization_member_create")
    key = required_text(data, "id")
    organisation = Organisation.objects.filter(slug=key).first() or (
        Organisation.objects.filter(pk=int(key)).first() if key.isascii() and key.isdigit()
        and len(key) < 10 else None)
    if organisation is None:
        raise NotFound("Organization was not found.")
    if not permissions.can_manage_members(user, organisation):
        raise NotAuthorized(f"User {user.get_username()} not authorized to edit organization "
                            f"{organisation.slug}")
    role = required_text(data, "role")
    if role not in ROLES:
        raise ValidationError({"role": [f"Must be one of {', '.join(ROLES)}"]})
    username = required_text(data, "username")
    if _staff(user):
        person = get_user_model().objects.filter(username=username, is_active=True).first()
        if person is None:
            raise ValidationError({"username": ["User not found"]})
    else:
        # An admin sets the role of someone already in the group; nobody is put in a group
        # without asking (the groups pages: a join request the admins accept). Whether the
        # name belongs to anyone is not told either.
        member = Membership.objects.filter(organisation=organisation, user__is_active=True,
                                           user__username=username).select_related("user")
        if not member.exists():
            raise NotAuthorized(
                f"{username} is not a member of {organisation.slug}: people join a group by "
                "asking on its page, and an admin then accepts them; here an admin changes "
                "the role of a member (site staff may add anyone).")
        person = member.get().user
    membership = Membership.objects.filter(organisation=organisation, user=person).first()
    try:
        if membership is not None:
            groups.set_role(user, membership, role)
        else:
            with transaction.atomic():
                membership = Membership.objects.create(organisation=organisation,
                                                       user=person, role=role)
                events.record(f"You were added to {organisation.name} as "
                              f"{membership.get_role_display().lower()}",
                              reverse("community:group", args=[organisation.slug]), [],
                              actor=user,
                              also_notify=[person.pk])
    except groups.GroupError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from None
    except PermissionDenied as exc:
        raise NotAuthorized(str(exc)) from None
    return {"group_id": str(organisation.pk), "table_name": "user",
            "table_id": str(person.pk), "capacity": role, "state": "active"}

