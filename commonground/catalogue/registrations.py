"""What the catalogue tells the activity kernel (``CatalogueConfig.ready``): a dataset is a
thing people follow, and only public datasets keep their news in feeds; a group's page lists
its datasets and a place's page the datasets with rows there."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from commonground.activity import sections, things

from . import access
from .models import Dataset
from .services.search import datasets_in_area


def dataset_page(name: str) -> str:
    return reverse("catalogue:dataset", args=[name])


def public_dataset_names():
    """Names of the datasets everyone sees (published, not private): news of any other
    dataset (a draft, private or deleted one) is left out of feeds and activity."""
    return Dataset.objects.filter(state=Dataset.State.PUBLISHED, private=False).values("name")


def group_datasets(request, *, organisation) -> dict:
    """The group's datasets this person may see, the last changed first."""
    return {"datasets": access.visible_datasets(request.user)
            .filter(organisation=organisation).order_by("-modified")}


def place_datasets(request, *, geography: str, code: str) -> dict:
    """The datasets with rows in the place this person may see, with their row counts."""
    return {"datasets": datasets_in_area(request.user, geography, code),
            "disclosure_threshold": settings.COMMONGROUND_DISCLOSURE_THRESHOLD}


def register() -> None:
    things.register("dataset", "Dataset", page=dataset_page, public_keys=public_dataset_names)
    sections.register("group", order=10, template="catalogue/_group_datasets.html",
                      context=group_datasets)
    sections.register("place", order=10, template="catalogue/_place_datasets.html",
                      context=place_datasets)
