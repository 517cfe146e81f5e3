"""The lower-case text a dataset is found by: title, description, tags, themes, resources and
the column names of their live versions."""

from __future__ import annotations

from ..models import Dataset


def search_text(dataset: Dataset) -> str:
    parts = [dataset.title, dataset.name, dataset.notes, dataset.source,
             dataset.organisation.name]
    parts += [t.name for t in dataset.tags.all()]
    parts += [t.title for t in dataset.themes.all()]
    for resource in dataset.resources.select_related("current_version"):
        parts += [resource.name, resource.description]
        if resource.current_version:
            parts += [c["name"] for c in resource.current_version.schema]
    return " ".join(p for p in parts if p).lower()


def refresh_search_text(dataset: Dataset) -> None:
    text = search_text(dataset)
    Dataset.objects.filter(pk=dataset.pk).update(search_text=text)
    dataset.search_text = text
