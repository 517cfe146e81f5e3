"""Dataset keys' pages. A dataset's keys page, for its organisation's editors: make a key
(name, scope, expiry; its secret shown once, on the page that makes it), list every key by
prefix (name, scope, expiry, last used, whose), revoke one at once. A grant's key page, for
its grantee: make a read key within the grant (expiring by the grant's end), list and revoke
the grant's keys. The rules are in ``services.datasetkeys``."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import access
from .access_models import DatasetKey, Grant
from .models import Dataset
from .services import datasetkeys
from .views import visible_dataset

EXPIRES_HELP = "YYYY-MM-DD HH:MM (UTC)"


class EditorKeyForm(forms.Form):
    label = forms.CharField(label="Name", max_length=200, required=False,
                            help_text="Who or what uses it, e.g. “nightly upload from the "
                                      "housing system”")
    scope = forms.ChoiceField(choices=DatasetKey.Scope.choices, initial=DatasetKey.Scope.READ)
    expires = forms.DateTimeField(required=False, help_text=EXPIRES_HELP + "; blank: until "
                                  "revoked", widget=forms.DateTimeInput(
                                      attrs={"type": "datetime-local"}))


class GrantKeyForm(forms.Form):
    label = forms.CharField(label="Name", max_length=200, required=False,
                            help_text="Who or what uses it, e.g. “analysis notebook”")
    expires = forms.DateTimeField(required=False, widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}))


def editable_dataset(request, name: str) -> Dataset:
    """The dataset, for its editors: 404 to those who may not see it, 403 to the rest."""
    dataset = visible_dataset(request, name)
    if not access.can_edit(request.user, dataset):
        raise PermissionDenied("Only editors of the organisation publishing this dataset "
                               "manage its keys and read its read log.")
    return dataset


def _made(request, form: forms.Form, make):
    """Validate ``form`` (its expiry read as UTC, as it says) and make the key; the new key,
    or None with the form's errors set."""
    with timezone.override(UTC):
        valid = form.is_valid()
    if not valid:
        return None
    try:
        return make(form.cleaned_data)
    except datasetkeys.KeyRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None,
                       refused.message)
        return None


def _page(request, template: str, context: dict, made) -> object:
    status = 200 if request.method != "POST" else (201 if made else 400)
    response = render(request, template, {**context, "made": made, "now": timezone.now()},
                      status=status)
    if made is not None:
        response["Cache-Control"] = "no-store"  # the secret is shown once, never cached
    return response


@login_required
def dataset_keys(request, name: str):
    dataset = editable_dataset(request, name)
    form = EditorKeyForm(request.POST if request.method == "POST" else None)
    made = None
    if request.method == "POST":
        made = _made(request, form, lambda data: datasetkeys.make_editor_key(
            dataset, request.user, scope=data["scope"], label=data["label"],
            expires=data["expires"]))
        if made is not None:
            form = EditorKeyForm()
    return _page(request, "catalogue/keys.html", {
        "dataset": dataset, "form": form, "keys": datasetkeys.keys_of(dataset)}, made)


@login_required
@require_POST
def dataset_key_revoke(request, name: str, prefix: str):
    dataset = editable_dataset(request, name)
    key = get_object_or_404(DatasetKey, dataset=dataset, prefix=prefix)
    datasetkeys.revoke(key, request.user)
    messages.success(request, f"Key {key.prefix}… revoked: it no longer works.")
    return redirect("catalogue:keys", name=dataset.name)


def _own_grant(request, name: str, grant_id: int) -> Grant:
    """The signed-in person's grant on the dataset (404 for anyone else's)."""
    return get_object_or_404(Grant.objects.select_related("dataset"), pk=grant_id,
                             dataset__name=name, user=request.user)


@login_required
def grant_keys(request, name: str, grant_id: int):
    grant = _own_grant(request, name, grant_id)

    def grant_form(data=None) -> GrantKeyForm:
        form = GrantKeyForm(data)
        form.fields["expires"].help_text = (
            f"{EXPIRES_HELP}; by the grant's end, {grant.expires.astimezone(UTC):%Y-%m-%d %H:%M}"
            " UTC (blank: then)")
        return form

    form = grant_form(request.POST if request.method == "POST" else None)
    made = None
    if request.method == "POST":
        made = _made(request, form, lambda data: datasetkeys.make_grant_key(
            grant, request.user, label=data["label"], expires=data["expires"]))
        if made is not None:
            form = grant_form()
    return _page(request, "catalogue/keys_grant.html", {
        "dataset": grant.dataset, "grant": grant, "active": grant.is_active(), "form": form,
        "keys": datasetkeys.keys_of_grant(grant)}, made)


@login_required
@require_POST
def grant_key_revoke(request, name: str, grant_id: int, prefix: str):
    grant = _own_grant(request, name, grant_id)
    key = get_object_or_404(DatasetKey, grant=grant, prefix=prefix)
    datasetkeys.revoke(key, request.user)
    messages.success(request, f"Key {key.prefix}… revoked: it no longer works.")
    return redirect("catalogue:grant_keys", name=grant.dataset.name, grant_id=grant.pk)
