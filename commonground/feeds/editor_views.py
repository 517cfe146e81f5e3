"""Editors' pages for a feed: create it (a draft), change its details, add its things (one by
one, or from a sensor-sites CSV) and their datastreams, publish it, delete it. Bad input is
refused by field (and by line for a CSV) and changes nothing."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from commonground.catalogue.licences import CHOICES as LICENCES

from . import access, catalogue_entry, editing, limits
from .key_views import editable_feed
from .models import Datastream, Feed, Thing
from .pull_views import PullForm

MAX_SITES_BYTES = 5 << 20  # a sites file lists things, not readings: 5 MB is thousands


class FeedForm(forms.ModelForm):
    class Meta:
        model = Feed
        fields = ["organisation", "title", "slug", "description", "kind", "private", "licence",
                  "source"]
        help_texts = {"slug": "Its address: /feeds/<slug>/ (letters, numbers, hyphens)"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = access.owning_organisations(user)
        self.fields["organisation"].empty_label = None


class DetailsForm(forms.ModelForm):
    """What a feed is called and on what terms it is read; its address (slug) stays."""

    prefix = "details"  # the manage page's other forms have a description too
    licence = forms.ChoiceField(choices=LICENCES)

    class Meta:
        model = Feed
        fields = ["title", "description", "licence", "private", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.licence
        if current and current not in dict(LICENCES):  # e.g. a recording's own licence
            self.fields["licence"].choices = [(current, f"{current} (as recorded)"),
                                              *LICENCES]


class DeleteForm(forms.Form):
    prefix = "delete"
    confirm = forms.CharField(max_length=100, label="Type the feed's address to delete it")

    def __init__(self, *args, feed: Feed, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed = feed
        self.fields["confirm"].help_text = (
            f"Type “{feed.slug}”: its things, datastreams, observations, aggregates, keys and "
            "pull runs are deleted, and its catalogue dataset is withdrawn. This cannot be "
            "undone.")

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.feed.slug:
            raise forms.ValidationError(f"“{typed[:100]}” is not this feed's address, "
                                        f"“{self.feed.slug}”: nothing was deleted.")
        return typed


class ThingForm(forms.Form):
    key = forms.SlugField(max_length=200, help_text="Your own id for it, e.g. car-park-4")
    name = forms.CharField(max_length=300)
    lat = forms.FloatField(min_value=-90, max_value=90, required=False, label="Latitude")
    lon = forms.FloatField(min_value=-180, max_value=180, required=False, label="Longitude")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, feed: Feed, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed = feed

    def clean_key(self):
        key = self.cleaned_data["key"]
        if self.feed.things.filter(key=key).exists():
            raise forms.ValidationError(f"This feed has a thing {key!r} already.")
        return key

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None) and not self.errors:
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        return data


class DatastreamForm(forms.ModelForm):
    thing = forms.ModelChoiceField(queryset=None)

    class Meta:
        model = Datastream
        fields = ["thing", "key", "name", "observed_property", "unit", "unit_ucum",
                  "value_type", "expected_interval_seconds", "retention_days"]

    def __init__(self, *args, feed: Feed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["thing"].queryset = feed.things.all()
        self.fields["key"] = forms.SlugField(max_length=200, help_text="e.g. occupancy")
        limits.bound(self.fields)  # retention and interval: as SensorThings bounds them

    def clean(self):
        data = super().clean()
        thing, key = data.get("thing"), data.get("key")
        if thing and key and thing.datastreams.filter(key=key).exists():
            self.add_error("key", f"{thing.name} has a datastream {key!r} already.")
        return data


class SitesForm(forms.Form):
    sites = forms.FileField(label="Sensor sites (CSV)", help_text=(
        "A header with sensor_id, name, lat, lon, and optionally measure, unit, unit_ucum, "
        "resolution (e.g. PT1H); other columns are kept as the thing's properties. Each site "
        "becomes a thing with one datastream, “value”."))


@login_required
def feed_new(request):
    if not access.owning_organisations(request.user).exists():
        raise PermissionDenied("You need to be an editor of an organisation to add its feeds.")
    form = FeedForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            feed = form.save(commit=False)
            feed.created_by = request.user
            feed.save()
            messages.success(request, "Feed added as a draft: only your organisation's members "
                                      "see it until you publish it.")
            return redirect("feeds:manage", slug=feed.slug)
        return render(request, "feeds/new.html", {"form": form}, status=400)
    return render(request, "feeds/new.html", {"form": form})


def _manage(request, feed: Feed, status: int = 200, **forms_):
    context = {
        "feed": feed,
        "things": feed.things.prefetch_related("datastreams").order_by("name"),
        "thing_form": forms_.get("thing_form") or ThingForm(feed=feed),
        "stream_form": forms_.get("stream_form") or DatastreamForm(feed=feed),
        "sites_form": forms_.get("sites_form") or SitesForm(),
        "sites_problems": forms_.get("sites_problems", []),
        "pull_form": forms_.get("pull_form") or PullForm(instance=feed),  # pull_views
        "details_form": forms_.get("details_form") or DetailsForm(instance=feed),
        "delete_form": forms_.get("delete_form") or DeleteForm(feed=feed),
    }
    return render(request, "feeds/manage.html", context, status=status)


@login_required
def feed_manage(request, slug: str):
    return _manage(request, editable_feed(request, slug))


@login_required
@require_POST
def thing_add(request, slug: str):
    feed = editable_feed(request, slug)
    form = ThingForm(request.POST, feed=feed)
    if not form.is_valid():
        return _manage(request, feed, 400, thing_form=form)
    data = form.cleaned_data
    editing.add_things(feed, [{"key": data["key"], "name": data["name"], "lat": data["lat"],
                               "lon": data["lon"],
                               "row": {"description": data["description"]}}],
                       with_streams=False)
    messages.success(request, f"Thing “{data['name']}” added: now give it a datastream.")
    return redirect("feeds:manage", slug=feed.slug)


@login_required
@require_POST
def datastream_add(request, slug: str):
    feed = editable_feed(request, slug)
    form = DatastreamForm(request.POST, feed=feed)
    if not form.is_valid():
        return _manage(request, feed, 400, stream_form=form)
    stream = form.save()
    messages.success(request, f"Datastream “{stream.name}” added to {stream.thing.name}.")
    return redirect("feeds:manage", slug=feed.slug)


@login_required
@require_POST
def sites_upload(request, slug: str):
    feed = editable_feed(request, slug)
    form = SitesForm(request.POST, request.FILES)
    if not form.is_valid():
        return _manage(request, feed, 400, sites_form=form)
    upload = form.cleaned_data["sites"]
    if upload.size > MAX_SITES_BYTES:
        form.add_error("sites", f"The file is over {MAX_SITES_BYTES >> 20} MB: a sites file "
                                "lists things, not readings.")
        return _manage(request, feed, 400, sites_form=form)
    try:
        result = editing.add_things(feed, editing.read_sites_csv(upload.read()))
    except editing.EditError as exc:
        return _manage(request, feed, 400, sites_form=form, sites_problems=exc.problems)
    outside = len(result.outside)
    messages.success(request, f"{len(result.added)} things added"
                              f"{f', {len(result.unchanged)} already here' if result.unchanged else ''}"
                              f"{f', {outside} outside the city' if outside else ''}.")
    return redirect("feeds:manage", slug=feed.slug)


@login_required
@require_POST
def thing_retire(request, slug: str, thing_id: int):
    """Retire a thing (its history stays readable; writing refuses new observations for
    it), or bring it back with ``retired=0``."""
    feed = editable_feed(request, slug)
    thing = get_object_or_404(Thing, pk=thing_id, feed=feed)
    if request.POST.get("retired") == "0":
        thing.retired = None
        messages.success(request, f"“{thing.name}” takes observations again.")
    else:
        thing.retired = thing.retired or timezone.now()
        messages.success(request, f"“{thing.name}” retired: its history is kept, and new "
                                  "observations for it are refused.")
    thing.save(update_fields=["retired"])
    return redirect("feeds:manage", slug=feed.slug)


@login_required
@require_POST
def feed_publish(request, slug: str):
    feed = editable_feed(request, slug)
    publish = request.POST.get("state") != Feed.State.DRAFT
    feed.state = Feed.State.PUBLISHED if publish else Feed.State.DRAFT
    with transaction.atomic():
        feed.save(update_fields=["state", "updated"])
        catalogue_entry.sync(feed)  # public: in the catalogue; a draft again: withdrawn
    messages.success(request, "Published." if publish else "Back to a draft: only your "
                                                          "organisation's members see it.")
    return redirect("feeds:manage", slug=feed.slug)


@login_required
@require_POST
def feed_details(request, slug: str):
    """Change the feed's title, description, licence, source or private flag; its catalogue
    dataset takes the first four and keeps its state (``catalogue_entry.sync`` with
    ``publish=False``: a typo fixed does not republish a dataset the catalogue's editors
    unpublished). Made private, the dataset is a draft again; a published feed made public
    again is published to everyone, its dataset with it."""
    feed = editable_feed(request, slug)
    # a copy for the form: an invalid form must not rename the page around its errors
    form = DetailsForm(request.POST, instance=Feed.objects.get(pk=feed.pk))
    if not form.is_valid():
        return _manage(request, feed, 400, details_form=form)
    made_public = feed.private and not form.cleaned_data["private"]
    with transaction.atomic():
        feed = form.save()
        catalogue_entry.sync(feed, publish=made_public)
    messages.success(request, "Details saved." + (" Its catalogue entry is updated."
                                                  if catalogue_entry.entry(feed) else ""))
    return redirect("feeds:manage", slug=feed.slug)


@login_required
@require_POST
def feed_delete(request, slug: str):
    """Delete the feed and all it holds, once its address is typed (``editing.delete_feed``)."""
    feed = editable_feed(request, slug)
    form = DeleteForm(request.POST, feed=feed)
    if not form.is_valid():
        return _manage(request, feed, 400, delete_form=form)
    title = feed.title
    editing.delete_feed(feed)
    messages.success(request, f"“{title}” deleted, with its things, observations and keys; "
                              "its catalogue dataset is withdrawn.")
    return redirect("feeds:list")
