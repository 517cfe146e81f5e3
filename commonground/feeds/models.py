"""Live feeds, in the words of OGC SensorThings (the MK Data Hub's words in brackets).

A **feed** belongs to an organisation and is one of three kinds (sensor, event, location).
It holds **things** (sensors, devices, vehicles: the Hub's "entities"), each at a
**location** that may move (its history kept); a thing has **datastreams** (what is
measured, in which unit, how often), and a datastream has **observations** (time, value).
One observation per datastream and instant: writing the same (stream, time) again is
idempotent. Times are stored in UTC. Values are numbers for numeric streams, text (or a
JSON document for event feeds) otherwise.

Writers hold a **feed key** (a secret shown once, stored hashed, scoped to one feed, for
writing or reading, expiring and revocable). A feed may instead be **pulled** from a URL on
a schedule; every run is recorded with what it changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from commonground.accounts.keys import ApiKey
from commonground.accounts.models import Organisation


class Feed(models.Model):
    class Kind(models.TextChoices):
        SENSOR = "sensor", "Sensor feed"
        EVENT = "event", "Event feed"
        LOCATION = "location", "Location feed"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"  # seen by the organisation's members only
        PUBLISHED = "published", "Published"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="feeds")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SENSOR)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    private = models.BooleanField(default=False,
                                  help_text="Readable only with a read key or by members")
    licence = models.CharField(max_length=40, blank=True, default="OGL-UK-3.0")
    source = models.CharField(max_length=1000, blank=True, help_text="Where the data comes from")
    # Pulled feeds: the hub fetches this URL every pull_every_minutes (CSV, JSON or a
    # SensorThings service); blank for pushed feeds.
    pull_url = models.URLField(max_length=1000, blank=True)
    pull_format = models.CharField(max_length=20, blank=True,
                                   help_text="csv, json or sensorthings")
    pull_every_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("feeds:feed", args=[self.slug])

    @property
    def is_public(self) -> bool:
        return self.state == self.State.PUBLISHED and not self.private


class Thing(models.Model):
    """A sensor, device, vehicle or site; ``key`` is the publisher's own id for it."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="things")
    key = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    properties = models.JSONField(default=dict, blank=True)
    # The current location (WGS84 and British National Grid); history in ThingLocation.
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    easting = models.FloatField(null=True, blank=True)
    northing = models.FloatField(null=True, blank=True)
    location_name = models.CharField(max_length=300, blank=True)
    retired = models.DateTimeField(null=True, blank=True,
                                   help_text="No longer reporting; its history is kept")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["feed", "name"]
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="thing_key_in_feed")]
        indexes = [models.Index(fields=["easting", "northing"])]

    def __str__(self) -> str:
        return self.name


class ThingLocation(models.Model):
    """Where a thing was from ``time`` on (SensorThings' HistoricalLocation)."""

    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="locations")
    time = models.DateTimeField()
    lat = models.FloatField()
    lon = models.FloatField()
    easting = models.FloatField()
    northing = models.FloatField()

    class Meta:
        ordering = ["thing", "-time"]
        constraints = [models.UniqueConstraint(fields=["thing", "time"],
                                               name="one_location_per_thing_and_time")]

    def __str__(self) -> str:
        return f"{self.thing} at {self.lat:.5f}, {self.lon:.5f} from {self.time:%Y-%m-%d %H:%M}"


class Datastream(models.Model):
    class ValueType(models.TextChoices):
        NUMBER = "number", "Number"
        TEXT = "text", "Text"
        JSON = "json", "JSON document (events)"

    thing = models.ForeignKey(Thing, on_delete=models.CASCADE, related_name="datastreams")
    key = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    observed_property = models.CharField(max_length=300, help_text="What is measured")
    unit = models.CharField(max_length=100, blank=True, help_text="e.g. vehicles, µg/m³")
    unit_ucum = models.CharField(max_length=100, blank=True, help_text="UCUM code")
    value_type = models.CharField(max_length=10, choices=ValueType.choices,
                                  default=ValueType.NUMBER)
    expected_interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Keep raw observations this many days (blank: for "
                                         "ever); hourly and daily aggregates are kept for ever")
    # SensorThings' Sensor and ObservedProperty as a client described them (name,
    # description, encodingType, metadata; definition); blank: derived from the stream.
    sensor = models.JSONField(default=dict, blank=True)
    observed_property_definition = models.CharField(max_length=500, blank=True)
    # Whole hours and days before this instant have their Aggregate rows kept up to date
    # (rolled up by the worker; a late observation before it recomputes its buckets).
    aggregated_until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["thing", "name"]
        constraints = [models.UniqueConstraint(fields=["thing", "key"],
                                               name="datastream_key_in_thing")]

    def __str__(self) -> str:
        return self.name


class Observation(models.Model):
    id = models.BigAutoField(primary_key=True)
    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE,
                                   related_name="observations")
    time = models.DateTimeField()
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True, default="", help_text="Text or JSON streams' value")
    received = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["datastream", "time"],
                                               name="one_observation_per_stream_and_time")]

    def __str__(self) -> str:
        value = self.number if self.number is not None else self.text[:40]
        return f"{self.datastream_id} @ {self.time:%Y-%m-%dT%H:%M:%SZ}: {value}"


class Aggregate(models.Model):
    """Hourly and daily mean, min, max, sum and count of a numeric datastream, kept for ever
    (raw observations may be dropped by the stream's retention)."""

    class Period(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"

    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE,
                                   related_name="aggregates")
    period = models.CharField(max_length=4, choices=Period.choices)
    start = models.DateTimeField()
    count = models.PositiveIntegerField()
    total = models.FloatField()
    minimum = models.FloatField()
    maximum = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["datastream", "period", "start"],
                                               name="one_aggregate_per_stream_period_start")]

    def __str__(self) -> str:
        return f"{self.datastream_id} {self.period} from {self.start:%Y-%m-%d %H:%M}"

    @property
    def mean(self) -> float:
        return self.total / self.count


class FeedKey(ApiKey):
    """A secret for one feed: ``write`` pushes observations, ``read`` reads a private feed.
    Only its hash is stored; ``prefix`` (the first characters) names it in lists
    (``accounts.keys``: the one mechanism of every API key)."""

    class Scope(models.TextChoices):
        WRITE = "write", "Write observations"
        READ = "read", "Read"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="keys")
    scope = models.CharField(max_length=5, choices=Scope.choices)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["feed", "-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_scope_display()}, {self.feed})"

    def grants(self, scope: str) -> bool:
        return self.scope == scope


class PullRun(models.Model):
    """One scheduled fetch of a pulled feed (or a dataset's URL resource): what it changed,
    or why it failed and when it tries again (back-off)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    feed = models.ForeignKey(Feed, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="pull_runs")
    resource = models.ForeignKey("catalogue.Resource", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="pull_runs")
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    attempt = models.PositiveIntegerField(default=1)
    added = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    next_try = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started"]
        constraints = [models.CheckConstraint(
            condition=models.Q(feed__isnull=False) | models.Q(resource__isnull=False),
            name="pull_run_of_a_feed_or_a_resource")]

    def __str__(self) -> str:
        return f"Pull of {self.feed or self.resource} at {self.started:%Y-%m-%d %H:%M}: " \
               f"{self.get_status_display()}"
