"""Organisations and who may act for them.

Users are Django's own ``auth.User``. An organisation is a council, community group,
voluntary-sector body, business, university or national body; people belong to it with a
role. Later issues (catalogue, community) check these roles through
``commonground.accounts.permissions``.
"""

from django.conf import settings
from django.db import models

from .keys import ApiKey


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        COMMUNITY_GROUP = "community_group", "Community group"
        VOLUNTARY_SECTOR = "voluntary_sector", "Voluntary sector"
        BUSINESS = "business", "Business"
        UNIVERSITY = "university", "University"
        NATIONAL_BODY = "national_body", "National body"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    contact_email = models.EmailField(
        blank=True, help_text="Where the hub emails data requests addressed to the "
                              "organisation while no one on Common Ground answers for it")
    open_to_join = models.BooleanField(
        default=False, help_text="Anyone signed in joins at once (otherwise they ask and an "
                                 "admin accepts)")
    created = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership",
                                     related_name="organisations")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"  # sees the organisation's private drafts
        EDITOR = "editor", "Editor"  # publishes and edits on its behalf
        ADMIN = "admin", "Admin"  # manages members and roles

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_org")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organisation}"


class ApiToken(ApiKey):
    """A person's API token (CKAN 2.10's): a program that sends it acts as that person, with
    their rights at the time of each call (``commonground.accounts.tokens``)."""

    class Scope(models.TextChoices):
        ACT = "act", "Act as you"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.ACT)

    class Meta:
        ordering = ["user", "-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
