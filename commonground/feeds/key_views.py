"""The feed's keys page, for its organisation's editors: make a key (label, scope, expiry;
its secret shown once, on the page that makes it), list keys by prefix, revoke one."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import access, keys
from .models import Feed, FeedKey


class KeyForm(forms.Form):
    label = forms.CharField(max_length=200, required=False,
                            help_text="Who or what uses it, e.g. “car park gateway”")
    scope = forms.ChoiceField(choices=FeedKey.Scope.choices, initial=FeedKey.Scope.WRITE)
    expires = forms.DateTimeField(required=False, help_text="YYYY-MM-DD HH:MM (UTC); "
                                  "blank: until revoked",
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean_expires(self):
        expires = self.cleaned_data["expires"]
        if expires is not None and expires <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return expires


def editable_feed(request, slug: str) -> Feed:
    """The feed, for its editors: 404 to those who may not see it, 403 to readers."""
    feed = get_object_or_404(Feed.objects.select_related("organisation"), slug=slug)
    if not access.can_read(request.user, feed):
        raise Http404("No such feed")
    if not access.can_edit(request.user, feed):
        raise PermissionDenied("Only editors of the organisation publishing this feed manage "
                               "its keys and things.")
    return feed


@login_required
def key_list(request, slug: str):
    feed = editable_feed(request, slug)
    form = KeyForm(request.POST if request.method == "POST" else None)
    made = None
    status = 200
    if request.method == "POST":
        with timezone.override(UTC):  # the form's expiry is read as UTC, as it says
            valid = form.is_valid()
        if valid:
            made = keys.make_key(feed, form.cleaned_data["scope"], label=form.cleaned_data["label"],
                                 expires=form.cleaned_data["expires"], user=request.user)
            form = KeyForm()
            status = 201
        else:
            status = 400
    response = render(request, "feeds/keys.html", {
        "feed": feed, "form": form, "made": made, "keys": keys.keys_of(feed),
        "now": timezone.now()}, status=status)
    if made is not None:
        response["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


@login_required
@require_POST
def key_revoke(request, slug: str, prefix: str):
    feed = editable_feed(request, slug)
    key = get_object_or_404(FeedKey, feed=feed, prefix=prefix)
    keys.revoke(key)
    messages.success(request, f"Key {key.prefix}… revoked: it no longer works.")
    return redirect("feeds:keys", slug=feed.slug)
