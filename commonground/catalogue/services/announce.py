"""Tell followers about public data: a dataset published, or a new version of one.

Only public datasets are announced (a draft's or private dataset's news would leak it).
Followers of the dataset and of its organisation hear of it; followers of a place hear of
a new version with rows there, except for datasets whose records are withheld (about people,
or restricted as a whole), where saying which places have rows could give a person away; their
news gives no row count either (counts of two versions differenced say how many people came or
went; ``docs/DISCLOSURE.md``).
"""

from __future__ import annotations

from commonground.activity import events

from ..models import Dataset, Version


def dataset_published(dataset: Dataset, *, actor=None) -> None:
    if dataset.is_public:
        events.record(f"{dataset.organisation.name} published “{dataset.title[:150]}”",
                      dataset.get_absolute_url(), _targets(dataset), actor=actor)


def new_version(version: Version, *, actor=None) -> None:
    dataset = version.resource.dataset
    if not dataset.is_public:
        return
    targets = _targets(dataset)
    if not dataset.records_withheld:
        targets += [("place", code) for code in
                    version.areas.values_list("code", flat=True).distinct()]
    rows = "" if dataset.records_withheld else f", {version.row_count:,} rows"
    events.record(f"New data in “{dataset.title[:150]}”: version {version.number}{rows}",
                  dataset.get_absolute_url(), targets, actor=actor)


def _targets(dataset: Dataset) -> list[tuple[str, str]]:
    return [("dataset", dataset.name), ("group", dataset.organisation.slug)]
