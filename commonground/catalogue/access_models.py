"""Restricted data's way in: access requests, grants, dataset keys and the read log.

* An **access request** asks for part of a restricted dataset: a scope (columns, places,
  period, geographic detail, months), the purpose, the Five Safes answers (safe projects,
  people, settings, data, outputs) and the dataset's terms accepted. The owning
  organisation grants it, rejects it with a reason, or makes a **counter-offer** (``offer``:
  a narrower scope) that the requester accepts or declines.
* A **grant** gives one person (for themselves or a group) exactly its scope until it
  expires or is revoked.
* A **dataset key** is an API key (``accounts.keys``) for one dataset: made by its editors
  (read, write or both), or by a grantee for their grant (read, within the grant).
* A **row read** is one read of restricted rows: who, how (page, API, download, CKAN, SQL),
  which version, what was asked, how many rows: the owner's audit log.

A scope is a JSON object (``catalogue.grantscope`` reads and writes it): ``columns`` (a list,
or null for all), ``places`` (area codes, or null for the whole city), ``period`` (``{"from",
"to"}`` ISO days, either null; or null), ``detail`` (``"exact"`` or a geography: the finest
places the rows may show) and ``months`` (how long a grant lasts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from commonground.accounts.keys import ApiKey
from commonground.accounts.models import Organisation


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        COUNTERED = "countered", "Counter-offer made"
        GRANTED = "granted", "Granted"
        REJECTED = "rejected", "Rejected"
        DECLINED = "declined", "Counter-offer declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE,
                                related_name="access_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+")
    group = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="The group it is asked for, if any")
    purpose = models.TextField()
    scope = models.JSONField(help_text="What is asked for (catalogue.grantscope)")
    safe_projects = models.TextField("safe projects")
    safe_people = models.TextField("safe people")
    safe_settings = models.TextField("safe settings")
    safe_data = models.TextField("safe data")
    safe_outputs = models.TextField("safe outputs")
    terms_accepted = models.DateTimeField()
    renews = models.ForeignKey("catalogue.Grant", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="renewals")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    offer = models.JSONField(null=True, blank=True, help_text="A counter-offer's scope")
    offer_note = models.TextField(blank=True)
    reason = models.TextField(blank=True, help_text="Why it was rejected")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered = models.DateTimeField(null=True, blank=True, help_text="First answer")
    closed = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"access request {self.pk} for {self.dataset_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.COUNTERED)


class Grant(models.Model):
    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE,
                                related_name="grants")
    request = models.OneToOneField(AccessRequest, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="grant")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    group = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    scope = models.JSONField(help_text="What is granted (catalogue.grantscope)")
    starts = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoke_reason = models.TextField(blank=True)
    reminded = models.DateTimeField(null=True, blank=True,
                                    help_text="When the grantee was told it ends soon")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["dataset", "user"])]

    def __str__(self) -> str:
        return f"grant {self.pk} on {self.dataset_id} to {self.user_id}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked is None and self.starts <= now < self.expires


class DatasetKey(ApiKey):
    """An API key for one dataset: an editor's (read, write or both) or a grantee's (read,
    within their grant; never past the grant's end)."""

    class Scope(models.TextChoices):
        READ = "read", "Read rows"
        WRITE = "write", "Upload new versions"
        BOTH = "both", "Read and upload"

    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE,
                                related_name="keys")
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="keys")
    scope = models.CharField(max_length=5, choices=Scope.choices)

    class Meta:
        ordering = ["dataset", "-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_scope_display()}, {self.dataset_id})"


class RowRead(models.Model):
    """One read of restricted rows (the owner's audit log)."""

    class Channel(models.TextChoices):
        PAGE = "page", "Web page"
        API = "api", "Row API"
        DOWNLOAD = "download", "Download"
        CKAN = "ckan", "CKAN datastore_search"
        SQL = "sql", "CKAN datastore_search_sql"

    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE,
                                related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    who = models.CharField(max_length=150, help_text="User name (or key) when read")
    key = models.ForeignKey(DatasetKey, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="reads")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    resource = models.ForeignKey("catalogue.Resource", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    version_number = models.PositiveIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True, help_text="What was asked")
    rows = models.BigIntegerField(null=True, blank=True, help_text="Rows returned, if known")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["dataset", "-at"])]

    def __str__(self) -> str:
        return f"{self.who} read {self.dataset_id} by {self.channel} at {self.at:%Y-%m-%d %H:%M}"
