"""``{% follow_box kind key %}``: the follow button and feed links for one thing;
``{{ user|public_name }}``: how a person is named in public."""

from __future__ import annotations

from django import template

from commonground import public_names as names
from commonground.activity import events

register = template.Library()


@register.inclusion_tag("activity/_follow.html", takes_context=True)
def follow_box(context, kind: str, key) -> dict:
    request = context["request"]
    return {"user": request.user, "request": request, "kind": kind, "key": str(key),
            "following": events.is_following(request.user, kind, str(key)),
            "csrf_token": context.get("csrf_token")}


@register.filter
def public_name(user) -> str:
    return names.public_name(user)


@register.inclusion_tag("activity/_form_parts.html")
def form_parts(form: str, which="") -> dict:
    """The parts other apps add to ``form`` (``activity.formparts``); ``which`` keeps their
    element ids apart when a page has several such forms (ids start ``<form>-<which>-``)."""
    from commonground.activity import formparts

    return {"parts": formparts.rendered(form),
            "id_prefix": f"{form}-{which}" if which != "" else form}
