"""The smart-city register.

A **project** (a trial, a programme, a platform) is run by **partner organisations** in named
roles and paid for by **funding**; it collects **data** (linked to the catalogue's datasets
where they exist) and has a **footprint**: the places it works in (areas, points, lines or a
boundary), or none when it is city-wide. Its organisation on the hub (``owner``) keeps the
record and publishes its **social-difference impact assessments**, each a numbered,
immutable version once published, with the footprint's lens figures frozen into it.

Partner organisations are named whether or not they have members on the hub
(``hub_organisation`` links the two when they do). The register's own file format
(``registerfile.py``) uses the same words as these models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from commonground.accounts.models import Organisation

# Addresses under /projects/ that are not projects: a project id may not take them.
RESERVED_SLUGS = frozenset({"network", "new", "import", "export", "register", "assessments",
                            "organisations"})


class PartnerOrganisation(models.Model):
    """An organisation the register names: the council, a business, a startup, a university,
    a voluntary or community group, a national or international body, a funder."""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        BUSINESS = "business", "Business"
        STARTUP = "startup", "Startup"
        UNIVERSITY = "university", "University"
        VOLUNTARY = "voluntary", "Voluntary sector"
        COMMUNITY = "community", "Community group"
        NATIONAL_BODY = "national-body", "National body"
        INTERNATIONAL_BODY = "international-body", "International body"
        FUNDER = "funder", "Funder"
        UTILITY = "utility", "Utility"
        TRANSPORT_OPERATOR = "transport-operator", "Transport operator"

    slug = models.SlugField(max_length=100, unique=True, help_text="The register's id")
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    url = models.URLField(max_length=500, blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="URLs the facts come from")
    hub_organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                         on_delete=models.SET_NULL,
                                         related_name="register_entries")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:organisation", args=[self.slug])


class Project(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"  # seen by the owner's members only
        PUBLISHED = "published", "Published"

    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        PILOT = "pilot", "Pilot"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"
        UNKNOWN = "unknown", "Not known"

    slug = models.SlugField(max_length=100, unique=True, help_text="The register's id")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    # Dates as the sources give them: "2014", "2014-05" or "2014-05-01" (blank: not known).
    # start_on / end_on are the first and last day they can mean, for filtering by period.
    start = models.CharField(max_length=10, blank=True)
    end = models.CharField(max_length=10, blank=True)
    start_on = models.DateField(null=True, blank=True)
    end_on = models.DateField(null=True, blank=True)
    themes = models.JSONField(default=list, blank=True)
    technologies = models.JSONField(default=list, blank=True)
    champion = models.CharField(max_length=300, blank=True,
                                help_text="The named person or role who champions it")
    links = models.JSONField(default=list, blank=True, help_text="[{title, url}]")
    sources = models.JSONField(default=list, blank=True, help_text="URLs the facts come from")
    uncertain = models.JSONField(default=list, blank=True,
                                 help_text="Fields inferred, conflicting or thinly sourced")
    people_reached = models.TextField(blank=True,
                                      help_text="Who is involved or affected, as sources say")
    social_difference_notes = models.TextField(blank=True)
    city_wide = models.BooleanField(default=False,
                                    help_text="Works across the whole city: no footprint")
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects",
                              help_text="The hub organisation that keeps this record")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    datasets = models.ManyToManyField("catalogue.Dataset", blank=True, related_name="projects")
    consultations = models.ManyToManyField("consultations.Consultation", blank=True,
                                           related_name="projects")
    data_requests = models.ManyToManyField("community.DataRequest", blank=True,
                                           related_name="projects")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:project", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class Partnership(models.Model):
    """An organisation's role in a project (one organisation may hold several roles)."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        PARTNER = "partner", "Partner"
        DELIVERY = "delivery", "Delivery"
        FUNDER = "funder", "Funder"
        SUPPLIER = "supplier", "Supplier"
        COMMUNITY_PARTNER = "community-partner", "Community partner"
        EVALUATOR = "evaluator", "Evaluator"
        DATA_PROVIDER = "data-provider", "Data provider"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="partnerships")
    organisation = models.ForeignKey(PartnerOrganisation, on_delete=models.PROTECT,
                                     related_name="partnerships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["project", "role", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["project", "organisation", "role"],
                                               name="one_role_once_per_project")]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()}) in {self.project}"


class Funding(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funding")
    funder = models.ForeignKey(PartnerOrganisation, on_delete=models.PROTECT,
                               related_name="funding_given")
    programme = models.CharField(max_length=500, blank=True)
    amount_gbp = models.PositiveBigIntegerField(null=True, blank=True,
                                                help_text="£, only where a source states it")
    source = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["project", "funder__name"]

    def __str__(self) -> str:
        return f"{self.funder} → {self.project}"


class CollectedData(models.Model):
    """What data the project collects, linked to a catalogue dataset where one exists."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="data")
    description = models.CharField(max_length=500)
    dataset = models.ForeignKey("catalogue.Dataset", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["project", "pk"]

    def __str__(self) -> str:
        return self.description


class ProjectPlace(models.Model):
    """One part of a project's footprint, as described, with its geometry where it has one:
    an area of the city, a point (a car park, a station), a line (a bus route) or a boundary
    (uploaded or drawn GeoJSON). Geometry is WKB in British National Grid (EPSG:27700).
    A place without geometry ("lamp columns at key junctions") is kept as words."""

    class Kind(models.TextChoices):
        AREA = "area", "An area of the city"
        POINT = "point", "A point"
        LINE = "line", "A line"
        BOUNDARY = "boundary", "A boundary"
        WORDS = "words", "Described only"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="places")
    description = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    area_code = models.CharField(max_length=20, blank=True, help_text="For kind=area: GSS code")
    names = models.JSONField(default=list, blank=True,
                             help_text="Place names the sources use (not always areas)")
    geometry = models.BinaryField(null=True, blank=True, help_text="WKB, EPSG:27700")

    class Meta:
        ordering = ["project", "pk"]

    def __str__(self) -> str:
        return self.description or self.area_code or self.get_kind_display()


class Assessment(models.Model):
    """A social-difference impact assessment of a project: a draft the owner's editors fill
    in, then published as version N (immutable; a new draft starts from the last version).

    ``answers`` holds the toolkit's twelve pointers, ``characteristics`` the protected
    characteristics plus socio-economic disadvantage and digital exclusion (impact, evidence,
    mitigation), ``data_questions`` the personal data and, for algorithmic tools, the
    Algorithmic Transparency Recording Standard's fields, ``engagement`` who was consulted,
    when and what changed. ``lens`` is the footprint's lens frozen when it is published, with
    the dataset versions and methods it rests on."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assessments")
    version = models.PositiveIntegerField(null=True, blank=True,
                                          help_text="1, 2, ... once published")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    characteristics = models.JSONField(default=dict, blank=True)
    data_questions = models.JSONField(default=dict, blank=True)
    engagement = models.JSONField(default=list, blank=True)
    consultations = models.ManyToManyField("consultations.Consultation", blank=True,
                                           related_name="+")
    lens = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-version", "-created"]
        constraints = [models.UniqueConstraint(fields=["project", "version"],
                                               name="one_assessment_per_version")]

    def __str__(self) -> str:
        label = f"version {self.version}" if self.version else "draft"
        return f"Assessment of {self.project} ({label})"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED
