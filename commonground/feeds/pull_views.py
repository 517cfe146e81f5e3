"""Editors' form for a pulled feed: the URL the hub fetches, its format and how often
(on the feed's manage page). A URL the safe fetcher would refuse (a private address, a user
name in it, not http or https) is refused here, naming the field; a blank URL stops
pulling. Saving makes sure the worker's round is scheduled (:mod:`.schedule`)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from commonground.datastore import fetch
from commonground.datastore.errors import IngestError

from . import schedule
from .key_views import editable_feed
from .models import Feed

#: The shortest interval between pulls (minutes): the worker looks every minute, and a
#: supplier's server should not be asked more often than this.
MIN_EVERY_MINUTES = 5
FORMAT_CHOICES = [("", "—"), ("csv", "CSV: thing,datastream,time,value"),
                  ("json", "JSON: the push API's {\"observations\": [...]}"),
                  ("sensorthings", "SensorThings: a Datastream's Observations")]


class PullForm(forms.ModelForm):
    pull_url = forms.URLField(max_length=1000, required=False, assume_scheme="https",
                              label="Pull from this URL",
                              help_text="Blank: the feed is pushed to, not pulled")
    pull_format = forms.ChoiceField(choices=FORMAT_CHOICES, required=False, label="Format")
    pull_every_minutes = forms.IntegerField(
        min_value=MIN_EVERY_MINUTES, max_value=7 * 24 * 60, required=False,
        label="Every (minutes)")

    class Meta:
        model = Feed
        fields = ["pull_url", "pull_format", "pull_every_minutes"]

    def clean(self):
        data = super().clean()
        url = (data.get("pull_url") or "").strip()
        if not url:
            data["pull_format"], data["pull_every_minutes"] = "", None
            return data
        try:
            fetch.check_url(url, allow_private=settings.COMMONGROUND_FETCH_ALLOW_PRIVATE)
        except IngestError as exc:
            self.add_error("pull_url", str(exc))
        for name in ("pull_format", "pull_every_minutes"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, "Needed to pull from a URL.")
        return data


@login_required
@require_POST
def feed_pull(request, slug: str):
    from .editor_views import _manage

    feed = editable_feed(request, slug)
    form = PullForm(request.POST, instance=feed)
    if not form.is_valid():
        return _manage(request, Feed.objects.get(pk=feed.pk), 400, pull_form=form)
    feed = form.save()
    if feed.pull_url:
        transaction.on_commit(schedule.schedule)
        messages.success(request, f"The hub pulls this feed every {feed.pull_every_minutes} "
                                  "minutes; its runs are listed on the feed's page.")
    else:
        messages.success(request, "The hub no longer pulls this feed.")
    return redirect("feeds:manage", slug=feed.slug)
