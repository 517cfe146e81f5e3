"""The catalogue: datasets, their resources, and each resource's immutable versions.

A **dataset** is what people search for (title, description, publisher, licence, tags,
themes). It holds **resources** (files or feeds). Every successful ingest of a resource is
a new **version**: one Parquet file that never changes, with its checksum, row count,
schema and the original file as uploaded. A resource's ``current_version`` is the live one;
a failed ingest leaves it untouched. An **ingest job** records one attempt with its
progress and validation report, so the user sees what was wrong.

Names follow CKAN where CKAN has one (a dataset's ``name`` is its URL slug, ``notes`` its
description, themes are CKAN "groups"), so the CKAN API maps onto them directly.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from commonground.accounts.models import Organisation
from commonground.datastore import storage

from .licences import CHOICES as LICENCE_CHOICES


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    """A CKAN group: a theme datasets from many publishers belong to (Health, Transport...)."""

    name = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Dataset(models.Model):
    class Frequency(models.TextChoices):
        NEVER = "never", "Not updated (one-off)"
        IRREGULAR = "irregular", "Irregularly"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annually"
        REALTIME = "realtime", "Continuously (feed)"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"  # visible to the organisation's members only
        PUBLISHED = "published", "Published"

    class Nature(models.TextChoices):
        SERVICE = "service", "Places or services people use"
        INCIDENT = "incident", "Events or incidents"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100, unique=True, help_text="Short name used in links")
    title = models.CharField(max_length=300)
    notes = models.TextField("description", blank=True, help_text="Markdown")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="datasets")
    licence = models.CharField(max_length=40, choices=LICENCE_CHOICES, default="OGL-UK-3.0")
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    themes = models.ManyToManyField(Theme, blank=True, related_name="datasets")
    frequency = models.CharField(max_length=20, choices=Frequency.choices,
                                 default=Frequency.IRREGULAR)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    source = models.TextField("source and provenance", blank=True,
                              help_text="Where the data comes from and how it was made")
    about_people = models.BooleanField(
        "contains records about people", default=False,
        help_text="e.g. a service's clients or survey answers: small counts are suppressed")
    private = models.BooleanField(default=False, help_text="Only the organisation's members see it")
    # restricted data (docs/RESTRICTED.md): findable, summarised in the open, rows by grant
    restricted = models.BooleanField(
        default=False,
        help_text="Its description, schema, coverage and an open summary are public; its rows "
                  "(or the columns named below) need a grant")
    restricted_columns = models.TextField(
        blank=True,
        help_text="One column a line: only these are withheld (with rows' exact locations); "
                  "the other columns stay open. Empty: every row needs a grant")
    period_column = models.CharField(
        max_length=100, blank=True,
        help_text="A date column a grant's period applies to (e.g. inspection_date)")
    access_terms = models.TextField(
        "terms of access", blank=True,
        help_text="What anyone granted access agrees to (Markdown)")
    # how the difference lens reads and names the rows (commonground.lens)
    nature = models.CharField(
        "what the rows are", max_length=10, choices=Nature.choices, default=Nature.SERVICE,
        help_text="Places or services: the lens asks who they reach. Events or incidents: it "
                  "asks where they happen.")
    row_singular = models.CharField(
        "one row is a", max_length=60, blank=True,
        help_text="What one row is, as people say it, e.g. “charge point”")
    row_plural = models.CharField(
        "rows are", max_length=60, blank=True,
        help_text="The plural, e.g. “charge points” (left empty: taken from the title)")
    column_names = models.TextField(
        "names of number columns", blank=True,
        help_text="One a line, for columns the lens can add up: column = singular / plural, "
                  "e.g. n_connectors = connector / connectors")
    site_column = models.CharField(
        max_length=100, blank=True,
        help_text="A column naming each row's site (e.g. a site id or postcode): rows with "
                  "the same value count as one site. Left empty: rows at the same coordinates "
                  "are one site.")
    lens_filters = models.TextField(
        "rows the lens counts", blank=True,
        help_text="Row filters the lens applies, one a line: column=value, column!=value, "
                  "column>=number or column=low..high, e.g. status_code=A")
    data_as_of = models.DateField(
        "data as of", null=True, blank=True,
        help_text="The date the data describes (its last update); the lens warns when it is "
                  "more than three years old")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    harvest_source = models.URLField(blank=True, help_text="Portal this dataset was harvested from")
    harvest_id = models.CharField(max_length=100, blank=True)
    search_text = models.TextField(blank=True, editable=False,
                                   help_text="Title, description, tags and column names, lower case")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.CheckConstraint(
            condition=~models.Q(private=True, restricted=True),
            name="dataset_private_or_restricted_not_both")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # one column a line, no blanks, so records_withheld_q agrees with withheld_columns
        lines = [line.strip() for line in self.restricted_columns.splitlines()]
        self.restricted_columns = "\n".join(line for line in lines if line)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalogue:dataset", args=[self.name])

    @property
    def is_public(self) -> bool:
        """Published and not private: anyone finds it and reads its description (its rows
        too unless ``records_withheld``)."""
        return self.state == self.State.PUBLISHED and not self.private

    @property
    def access(self) -> str:
        """``open``, ``restricted`` or ``private`` (one of :data:`ACCESS_LEVELS`)."""
        if self.private:
            return "private"
        return "restricted" if self.restricted else "open"

    @property
    def withheld_columns(self) -> list[str]:
        """The columns withheld from all but members and grantees, when only some are."""
        if not self.restricted:
            return []
        return [line.strip() for line in self.restricted_columns.splitlines() if line.strip()]

    @property
    def records_withheld(self) -> bool:
        """Whether its rows are for members and grantees only, with only summaries (counts
        with small ones suppressed, the lens) in the open: records about people, or a
        dataset restricted as a whole."""
        return self.about_people or (self.restricted and not self.withheld_columns)

    @property
    def partly_withheld(self) -> bool:
        """Whether its rows are open but some columns (and the rows' exact locations) are
        not."""
        return not self.records_withheld and bool(self.withheld_columns)

    @classmethod
    def records_withheld_q(cls) -> models.Q:
        """``records_withheld`` as a query condition."""
        return models.Q(about_people=True) | models.Q(restricted=True, restricted_columns="")


#: Access levels, as the dataset form offers them and DCAT names them
#: (the EU access-right vocabulary: PUBLIC, RESTRICTED, NON_PUBLIC).
ACCESS_LEVELS = {
    "open": ("Open: anyone reads everything", "PUBLIC"),
    "restricted": ("Restricted: description, schema and summaries public; rows (or named "
                   "columns) by grant", "RESTRICTED"),
    "private": ("Private: only the organisation's members", "NON_PUBLIC"),
}


class Resource(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        URL = "url", "Fetched from a URL"
        HARVEST = "harvest", "Harvested from a portal"
        FEED = "feed", "A live feed (read at its URL)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UPLOAD)
    url = models.URLField(max_length=1000, blank=True, help_text="Where it was fetched from")
    format = models.CharField(max_length=20, blank=True, help_text="Format of the latest upload")
    position = models.PositiveIntegerField(default=0)
    current_version = models.ForeignKey("Version", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "position", "created"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalogue:resource", args=[self.dataset.name, self.id])


def local_datastore() -> Path:
    """This machine's folder for staged uploads, scratch and scoped copies (the datastore
    itself unless versions are in an object store)."""
    return storage.local_root(settings.COMMONGROUND_DATASTORE,
                              settings.COMMONGROUND_DATASTORE_LOCAL)


class Version(models.Model):
    """One immutable ingest of a resource. Files live under ``COMMONGROUND_DATASTORE``."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    parquet = models.CharField(max_length=300, help_text="Path relative to the datastore folder")
    sha256 = models.CharField(max_length=64, help_text="Of the Parquet file")
    size = models.BigIntegerField(help_text="Parquet file size, bytes")
    row_count = models.BigIntegerField()
    schema = models.JSONField(help_text='[{"name", "type"}] of the data columns')
    report = models.JSONField(help_text="Ingest report: file, validation, place links")
    overrides = models.JSONField(default=dict, blank=True, help_text="Column types set by hand")
    original = models.CharField(max_length=300, help_text="Original file, relative path")
    original_name = models.CharField(max_length=300)
    original_sha256 = models.CharField(max_length=64)
    original_size = models.BigIntegerField()
    format = models.CharField(max_length=20)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [models.UniqueConstraint(fields=["resource", "number"],
                                               name="one_number_per_resource_version")]

    def __str__(self) -> str:
        return f"{self.resource} v{self.number}"

    @property
    def parquet_path(self) -> Path | str:
        """Where the Parquet file is: a path, or an ``s3://`` URL (``datastore.storage``)."""
        return storage.location(settings.COMMONGROUND_DATASTORE, self.parquet)

    @property
    def original_path(self) -> Path | str:
        return storage.location(settings.COMMONGROUND_DATASTORE, self.original)

    @property
    def linked_rows(self) -> int:
        links = (self.report or {}).get("links") or {}
        return links.get("linked", 0)


class VersionArea(models.Model):
    """How many of a version's rows fall in an area: place pages and the area facet."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="areas")
    geography = models.CharField(max_length=20)
    code = models.CharField(max_length=20)
    rows = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["geography", "code"])]

    def __str__(self) -> str:
        return f"{self.version}: {self.rows} rows in {self.geography} {self.code}"


class DisclosureDecision(models.Model):
    """Which counts to hide (``lens.privacy``) for a table too large to decide on a page
    request: decided once by the background worker (``services.disclosure.decide_task``) and
    kept, whatever process asks. ``key`` names what it depends on (the counts, every published
    aggregate, the threshold: ``lens.privacy.decision_key``), so a version's counts are decided
    once and a reload with other areas asks again. ``cells``/``groups``: the input; ``hidden``:
    the answer, one bit per cell then per aggregate (``numpy.packbits``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "being checked"
        DONE = "done", "decided"
        FAILED = "failed", "failed"

    key = models.CharField(max_length=64, unique=True)
    threshold = models.PositiveIntegerField()
    cells = models.BinaryField(help_text="float64 counts per base area")
    groups = models.BinaryField(help_text="zlib of int64 (indptr, indices) of the aggregates")
    hidden = models.BinaryField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    queued = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(null=True, blank=True, help_text="How long deciding took")

    def __str__(self) -> str:
        return f"disclosure decision {self.key[:12]} ({self.status})"


class IngestJob(models.Model):
    """One attempt to ingest a file into a resource (runs in the request or a worker)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        INVALID = "invalid", "Values do not fit their types"
        FAILED = "failed", "Failed"
        DONE = "done", "Done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1")
    message = models.CharField(max_length=300, blank=True)
    upload = models.CharField(max_length=300, blank=True,
                              help_text="Staged file, relative to the datastore")
    source_url = models.URLField(max_length=1000, blank=True,
                                 help_text="Fetched by the job when there is no upload yet")
    filename = models.CharField(max_length=300)
    sheet = models.CharField(max_length=100, blank=True)
    overrides = models.JSONField(default=dict, blank=True)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    version = models.ForeignKey(Version, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(default=timezone.now,
                                   help_text="Last sign of life (progress is written often)")
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.resource} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def upload_path(self) -> Path:
        return local_datastore() / self.upload  # staged on this machine, wherever versions go


from .access_models import AccessRequest, DatasetKey, Grant, RowRead  # noqa: E402

__all__ = ["AccessRequest", "Dataset", "DatasetKey", "Grant", "IngestJob", "Resource",
           "RowRead", "Tag", "Theme", "Version", "VersionArea"]
