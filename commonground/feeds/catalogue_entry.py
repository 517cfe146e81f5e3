"""A published, public feed in the catalogue: a Dataset of the feed's organisation with one
Resource of kind and format ``feed`` whose URL is the feed's page, so it is found in search,
listed in DCAT and in the CKAN API (``package_show``).

``sync(feed)`` is called when a feed is published (or taken back to a draft): a public feed's
dataset is made or updated (title, description, source, licence) and published; a draft or
private feed's dataset, if it has one, goes back to a draft, so it is never public.
``sync(feed, publish=False)`` is called when only its details change: the dataset takes the
title, description, source and licence, and keeps its state and privacy as they are (a
dataset the catalogue's editors unpublished stays unpublished), except that a feed made
private or a draft still takes it back to a draft. The dataset is found again by its feed
resource's URL. ``withdraw(feed)`` is called when the feed is deleted: its dataset is a draft
without the feed's resource, and a feed made again at the same address by the same
organisation takes that dataset back (its name, its history) instead of making another.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from commonground.catalogue.feed_resources import FEED
from commonground.catalogue.licences import BY_ID
from commonground.catalogue.models import Dataset, Resource
from commonground.catalogue.services.searchtext import refresh_search_text

from .models import Feed


def feed_url(feed: Feed) -> str:
    return settings.COMMONGROUND_SITE_URL.rstrip("/") + feed.get_absolute_url()


def entry(feed: Feed) -> Dataset | None:
    """The catalogue's dataset of ``feed``, if it has one."""
    resource = Resource.objects.filter(kind=Resource.Kind.FEED, url=feed_url(feed)
                                       ).select_related("dataset").first()
    return resource.dataset if resource else None


def _names(slug: str) -> list[str]:
    """The names a feed's dataset is given, in the order they are tried."""
    return [name[:100] for name in
            [slug, f"feed-{slug}"] + [f"feed-{slug}-{n}" for n in range(2, 100)]]


def _free_name(slug: str) -> str:
    taken = set(Dataset.objects.filter(name__in=_names(slug)).values_list("name", flat=True))
    for name in _names(slug):
        if name not in taken:
            return name
    raise ValueError(f"no free dataset name for the feed {slug!r}")


def _withdrawn(feed: Feed) -> Dataset | None:
    """The dataset an earlier feed at this address left when it was deleted (``withdraw``):
    the organisation's continuously updated draft of one of the names a feed's dataset is
    given, with no feed resource (a live feed's dataset has one). The first by name."""
    left = (Dataset.objects.filter(name__in=_names(feed.slug), organisation=feed.organisation,
                                   state=Dataset.State.DRAFT,
                                   frequency=Dataset.Frequency.REALTIME)
            .exclude(resources__kind=Resource.Kind.FEED))
    return min(left, key=lambda d: _names(feed.slug).index(d.name), default=None)


@transaction.atomic
def sync(feed: Feed, *, publish: bool = True) -> Dataset | None:
    """Make, update or withdraw the feed's dataset (see the module); the dataset, or None
    when it has none. ``publish``: the feed is being published (else only its details
    changed, and a public feed's dataset keeps its state and privacy, or stays unmade)."""
    dataset = entry(feed)
    if not feed.is_public:
        if dataset is not None and dataset.state != Dataset.State.DRAFT:
            dataset.state = Dataset.State.DRAFT
            dataset.save(update_fields=["state", "modified"])
        return dataset
    if dataset is None and not publish:
        return None
    fields = {"title": feed.title[:300], "notes": feed.description, "source": feed.source,
              "licence": feed.licence if feed.licence in BY_ID else "notspecified"}
    if publish:
        fields.update(organisation=feed.organisation, frequency=Dataset.Frequency.REALTIME,
                      state=Dataset.State.PUBLISHED, private=False)
    if dataset is None:
        dataset = _withdrawn(feed) or Dataset(name=_free_name(feed.slug))
    for name, value in fields.items():
        setattr(dataset, name, value)
    dataset.save()
    resource, _ = dataset.resources.update_or_create(
        kind=Resource.Kind.FEED, url=feed_url(feed),
        defaults={"name": _resource_name(feed), "description": _description(feed),
                  "format": FEED})
    refresh_search_text(dataset)
    return dataset


@transaction.atomic
def withdraw(feed: Feed) -> Dataset | None:
    """The feed is being deleted: its dataset goes back to a draft, as the catalogue's own
    "Unpublish" does (the catalogue deletes no dataset: projects, evidence packs and
    requests may cite it), and loses the feed's resource, so nothing points at a feed that
    is gone; a later feed of the same address and organisation takes it back when it is
    published (``sync``). Followers' news of a dataset that is not public is hidden by the
    activity kernel. Returns the dataset, or None if the feed had none."""
    dataset = entry(feed)
    if dataset is None:
        return None
    dataset.resources.filter(kind=Resource.Kind.FEED, url=feed_url(feed)).delete()
    dataset.state = Dataset.State.DRAFT
    dataset.save(update_fields=["state", "modified"])
    refresh_search_text(dataset)
    return dataset


def _resource_name(feed: Feed) -> str:
    return f"{feed.title} (live {feed.kind} feed)"[:300]


def _description(feed: Feed) -> str:
    api = f"/{feed.kind}s/feeds/{feed.pk}"
    return (f"Live {feed.kind} feed: its things and latest values at {feed_url(feed)}, the MK "
            f"Data Hub API at {api}, OGC SensorThings at /sta/v1.1/, who is sensed at "
            f"{feed.get_absolute_url()}lens/.")
