"""Consultations: an organisation asks for views on a project or policy; residents comment,
reply and support; moderators hide comments with a public reason; the organisation publishes
an official response once it closes. Everything here is public.

A deleted account's comments stay on the record but lose their author (``SET_NULL``): they
are shown as "a former member". Supports are personal and go with the account.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from commonground.accounts.models import Organisation


class Consultation(models.Model):
    class Status(models.TextChoices):
        UPCOMING = "upcoming", "Not open yet"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed, response to come"
        RESPONDED = "responded", "Response published"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="consultations",
                                     help_text="The organisation asking")
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="What is proposed and why (Markdown)")
    easy_read = models.TextField(max_length=1000,
                                 help_text="The proposal in a few short, plain sentences")
    area_codes = models.JSONField(default=list, blank=True,
                                  help_text="The places it is about (area codes)")
    opens = models.DateField()
    closes = models.DateField(help_text="The last day to comment")
    closed_early = models.DateTimeField(null=True, blank=True,
                                        help_text="When the organisation closed it early")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opens", "-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("consultations:detail", args=[self.pk])

    def is_open(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.closed_early is None and self.opens <= today <= self.closes

    def is_closed(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.closed_early is not None or today > self.closes

    @property
    def status(self) -> str:
        if hasattr(self, "response"):
            return self.Status.RESPONDED
        if self.is_closed():
            return self.Status.CLOSED
        return self.Status.OPEN if self.is_open() else self.Status.UPCOMING

    def get_status_display(self) -> str:
        return self.Status(self.status).label


class Question(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text


class Comment(models.Model):
    """A view on the consultation: an answer to one question, or general. ``parent`` makes
    it a reply (one level: replies to a reply join the same thread)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE,
                                     related_name="comments")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="consultation_comments")
    text = models.TextField(max_length=5000)
    created = models.DateTimeField(auto_now_add=True)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return f"{self.consultation.get_absolute_url()}#comment-{self.pk}"


class CommentSupport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="comment_supports")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"],
                                               name="one_support_per_comment")]

    def __str__(self) -> str:
        return f"Support for comment {self.comment_id}"


class Report(models.Model):
    """Someone thinks a comment breaks the rules; moderators see it (not the public). One
    open report per person and comment (a second click, even at the same moment, adds none).
    """

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(max_length=1000)
    created = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"],
                                               condition=models.Q(resolved=False),
                                               name="one_open_report_each")]

    def __str__(self) -> str:
        return f"Report on comment {self.comment_id}"


class ModerationAction(models.Model):
    """One entry of the public moderation log."""

    class Action(models.TextChoices):
        HIDE = "hide", "Hid a comment"
        RESTORE = "restore", "Restored a comment"
        DISMISS = "dismiss", "Dismissed reports on a comment"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="actions")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.reason[:60]}"


class OfficialResponse(models.Model):
    """What the organisation heard and will do; ``answers`` are the comments it answers."""

    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE,
                                        related_name="response")
    text = models.TextField(help_text="Markdown")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    published = models.DateTimeField(default=timezone.now)
    answers = models.ManyToManyField(Comment, blank=True, related_name="answered_by")

    def __str__(self) -> str:
        return f"Response to {self.consultation}"
