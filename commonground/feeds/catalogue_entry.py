"""A published, public feed in the catalogue: a Dataset of the feed's organisation with one
Resource of kind and format ``feed`` whose URL is the feed's page, so it is found in search,
listed in DCAT and in the CKAN API (``package_show``).

``sync(feed)`` is called when a feed is published (or taken back to a draft) and when its
details change: a public feed's dataset is made or updated (title, description, source,
licence), published; a draft or private feed's dataset, if it has one, goes back to a draft,
so it is never public. The dataset is found again by its feed resource's URL. ``withdraw(feed)``
is called when the feed is deleted.
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


def _free_name(slug: str) -> str:
    for name in [slug, f"feed-{slug}"] + [f"feed-{slug}-{n}" for n in range(2, 100)]:
        name = name[:100]
        if not Dataset.objects.filter(name=name).exists():
            return name
    raise ValueError(f"no free dataset name for the feed {slug!r}")


@transaction.atomic
def sync(feed: Feed) -> Dataset | None:
    """Make, update or withdraw the feed's dataset (see the module); the dataset, or None
    when the feed is not public and never had one."""
    dataset = entry(feed)
    if not feed.is_public:
        if dataset is not None and dataset.state != Dataset.State.DRAFT:
            dataset.state = Dataset.State.DRAFT
            dataset.save(update_fields=["state", "modified"])
        return dataset
    fields = {"title": feed.title[:300], "notes": feed.description, "source": feed.source,
              "organisation": feed.organisation, "frequency": Dataset.Frequency.REALTIME,
              "state": Dataset.State.PUBLISHED, "private": False,
              "licence": feed.licence if feed.licence in BY_ID else "notspecified"}
    if dataset is None:
        dataset = Dataset.objects.create(name=_free_name(feed.slug), **fields)
        Resource.objects.create(dataset=dataset, name=_resource_name(feed),
                                description=_description(feed), kind=Resource.Kind.FEED,
                                format=FEED,
                                url=feed_url(feed))
    else:
        for name, value in fields.items():
            setattr(dataset, name, value)
        dataset.save()
        dataset.resources.filter(kind=Resource.Kind.FEED, url=feed_url(feed)).update(
            name=_resource_name(feed), description=_description(feed))
    refresh_search_text(dataset)
    return dataset


@transaction.atomic
def withdraw(feed: Feed) -> Dataset | None:
    """The feed is being deleted: its dataset goes back to a draft, as the catalogue's own
    "Unpublish" does (the catalogue deletes no dataset: projects, evidence packs and
    requests may cite it), and loses the feed's resource, so nothing points at a feed that
    is gone and a later feed of the same address makes a dataset of its own. Followers'
    news of a dataset that is not public is hidden by the activity kernel. Returns the
    dataset, or None if the feed had none."""
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
