"""Evidence packs: a group's case for one place and one question, made of cited items.

A **pack** belongs to an organisation (the group that builds it), names one place (an LSOA,
MSOA or ward) and a question, and is a draft until an editor publishes it. Its **items** are
area profile figures, a dataset's figures for the place, the difference lens's findings for a
dataset, a warm-homes campaign's ranking (where to knock first), or the group's own words.
Every item holds a **frozen snapshot** of its figures with their citations (dataset version
and checksum, or the profile table's source and vintage),
taken when the item is added and changed only when an editor refreshes it explicitly, so a
published pack reads the same after the data changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from commonground.accounts.models import Organisation


class EvidencePack(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"  # seen by the group's members only
        PUBLISHED = "published", "Published"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="evidence_packs")
    title = models.CharField(max_length=200)
    question = models.CharField(max_length=500)
    geography = models.CharField(max_length=20, help_text="lsoa21, msoa21 or ward")
    code = models.CharField(max_length=20, help_text="GSS code of the place")
    area_name = models.CharField(max_length=200, help_text="The place's name when chosen")
    intro = models.TextField(blank=True, help_text="Markdown")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published = models.DateTimeField(null=True, blank=True)
    # A published pack can be withdrawn (with a public reason), never unpublished: it stays
    # readable at its address, as it was, under a notice; it leaves the list of packs, and
    # the group's page keeps it, marked withdrawn.
    withdrawn = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-published", "-created"]
        indexes = [models.Index(fields=["geography", "code"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("evidence:pack", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn is not None

    @property
    def slug(self) -> str:
        return slugify(self.title)[:80] or f"evidence-pack-{self.pk}"


class PackItem(models.Model):
    class Kind(models.TextChoices):
        PROFILE = "profile", "Area profile figures"
        DATASET = "dataset", "A dataset's figures for the place"
        LENS = "lens", "The difference lens's findings"
        CAMPAIGN = "campaign", "Where to knock first: a warm-homes ranking"
        TEXT = "text", "Our own words"

    pack = models.ForeignKey(EvidencePack, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=100, blank=True,
                              help_text="Profile section (e.g. table:census21-age), or a "
                              "ranking's weights (geography=lsoa21&fuel_poverty=40&...)")
    dataset = models.ForeignKey("catalogue.Dataset", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True, help_text="Markdown (text items)")
    snapshot = models.JSONField(default=dict, blank=True,
                                help_text="Figures and citations, frozen when taken")
    taken = models.DateTimeField(null=True, blank=True, help_text="When the snapshot was taken")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pack", "order", "id"]

    def __str__(self) -> str:
        return f"{self.pack}: {self.get_kind_display()} #{self.order}"
