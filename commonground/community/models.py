"""Data requests, their support, the organisation's answers on the record; requests to join a
group. (Follows, events and notifications are ``commonground.activity``'s.)

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
