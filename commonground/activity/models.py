"""Follows, events (activity feeds, RSS/Atom) and notifications, and how often a person wants
an email digest.

The tables keep the names they had when these models lived in ``community`` (``db_table``):
moving the models between apps moved no row (migration ``activity.0001``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from . import things


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    read = models.BooleanField(default=False)
    emailed = models.BooleanField(default=False, help_text="Sent in an email digest")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_notification"
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.text


class Follow(models.Model):
    """A person follows a thing of a registered kind (``things``): a place, dataset, request,
    group or consultation.

    ``key`` names the thing in its own terms: an area code, a dataset name, a request or
    consultation number, an organisation slug.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="follows")
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_follow"
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"],
                                               name="one_follow_per_thing")]
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self) -> str:
        return f"{self.user} follows {self.kind} {self.key}"

    @property
    def kind_label(self) -> str:
        """What the kind is called on pages ("Data request")."""
        return things.label(self.kind)


class Event(models.Model):
    """Something that happened, on the public record: the source of activity feeds, RSS/Atom
    feeds and followers' notifications. ``targets`` says which things it is about."""

    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_event"
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.text


class EventTarget(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=100)

    class Meta:
        db_table = "community_eventtarget"
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


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

    class Meta:
        db_table = "community_preferences"

    def __str__(self) -> str:
        return f"{self.user}: {self.get_digest_display()}"
