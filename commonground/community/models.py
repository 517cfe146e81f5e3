"""Data requests, their support, the organisation's answers on the record; follows, events
(activity feeds, RSS/Atom) and notifications; requests to join a group.

A deleted account's requests and answers stay (the record is public) but lose their author
(``SET_NULL``): they are shown as "a former member".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from commonground.accounts.models import Organisation


class DataRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UNDER_REVIEW = "under_review", "Under review"
        WILL_PUBLISH = "will_publish", "Will publish"
        PUBLISHED = "published", "Published"
        DECLINED = "declined", "Declined"

    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What data, why it matters, what it would show")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="data_requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="data_requests",
                                     help_text="The organisation asked to publish it")
    group = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="requests_made",
                              help_text="The group the requester asks on behalf of")
    area_codes = models.JSONField(default=list, blank=True,
                                  help_text="The places it is about (area codes)")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    dataset = models.ForeignKey("catalogue.Dataset", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="requests")
    first_answered = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:request", args=[self.pk])


class Support(models.Model):
    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="supports",
                             help_text="Empty once the account is deleted: the support still counts")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "user"],
                                               name="one_support_per_person")]

    def __str__(self) -> str:
        return f"Support for {self.request_id}"


class Answer(models.Model):
    """A status change with its reason, on the record, by the asked organisation."""

    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="answers")
    status = models.CharField(max_length=16, choices=DataRequest.Status.choices)
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                           related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.text[:60]}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    read = models.BooleanField(default=False)
    emailed = models.BooleanField(default=False, help_text="Sent in an email digest")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.text


class Follow(models.Model):
    """A person follows a place, dataset, request, group or consultation.

    ``key`` names the thing in its own terms: an area code, a dataset name, a request or
    consultation number, an organisation slug.
    """

    class Kind(models.TextChoices):
        PLACE = "place", "Place"
        DATASET = "dataset", "Dataset"
        REQUEST = "request", "Data request"
        GROUP = "group", "Group"
        CONSULTATION = "consultation", "Consultation"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="follows")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"],
                                               name="one_follow_per_thing")]
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self) -> str:
        return f"{self.user} follows {self.kind} {self.key}"


class Event(models.Model):
    """Something that happened, on the public record: the source of activity feeds, RSS/Atom
    feeds and followers' notifications. ``targets`` says which things it is about."""

    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.text


class EventTarget(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=16, choices=Follow.Kind.choices)
    key = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class JoinRequest(models.Model):
    """A person asks to join a group; an admin of the group accepts or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="join_requests")
    message = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    decided = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(
            fields=["organisation", "user"], condition=models.Q(status="pending"),
            name="one_pending_join_request")]

    def __str__(self) -> str:
        return f"{self.user} asks to join {self.organisation}"


class DigestChoice(models.TextChoices):
    NEVER = "never", "Never: I look in the site"
    DAILY = "daily", "Once a day"
    WEEKLY = "weekly", "Once a week"


class Preferences(models.Model):
    """How a person hears about what they follow beyond the site."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="community_preferences")
    digest = models.CharField(max_length=8, choices=DigestChoice.choices,
                              default=DigestChoice.NEVER)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_digest_display()}"
