"""Energy offers published by organisations, and residents' registrations of interest.

An ``Interest`` is personal data: it is stored only when the person consents to be contacted
about that offer, it can be seen and deleted by the person through the secret link emailed to
them (never shown on a page: only the owner of the address can use it), and it is shown only to
members of the organisation that made the offer — never on public pages or in exports.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from commonground.accounts.models import Organisation

from .matching import KINDS, MEASURES


def _token() -> str:
    return secrets.token_urlsafe(24)


def validate_measures(value) -> None:
    """A list of ``matching.MEASURES`` keys, each once (empty: not stated)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("give a list of what the offer is for")
    unknown = [v for v in value if v not in MEASURES]
    if unknown:
        raise ValidationError(f"“{unknown[0][:40]}” is not one of: {', '.join(MEASURES)}")
    if len(set(value)) != len(value):
        raise ValidationError("each thing the offer is for is given once")


class Offer(models.Model):
    class Tenure(models.TextChoices):
        ANY = "any", "Anyone"
        OWN = "own", "People who own their home"
        RENT = "rent", "People who rent"

    class Home(models.TextChoices):
        ANY = "any", "Any home"
        HOUSE = "house", "Houses"
        FLAT = "flat", "Flats"

    class Heating(models.TextChoices):
        # blank: the offer does not say (offers made before this was asked); never guessed
        NOT_STATED = "", "Not stated"
        ANY = "any", "Any heating"
        MAINS_GAS = "mains_gas", "Homes heated by mains gas"
        OFF_GAS = "off_gas", "Homes not on mains gas (electric, oil, LPG, solid fuel)"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="energy_offers")
    kind = models.CharField(max_length=32, choices=list(KINDS.items()))
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="What it is, in plain words")
    terms = models.TextField(blank=True, help_text="Costs, returns, conditions")
    tenure = models.CharField(max_length=8, choices=Tenure.choices, default=Tenure.ANY)
    home = models.CharField(max_length=8, choices=Home.choices, default=Home.ANY)
    heating = models.CharField(max_length=10, choices=Heating.choices, blank=True,
                               default=Heating.NOT_STATED,
                               help_text="The homes' heating it is for (a heat pump for homes "
                                         "off the gas grid, say); “Any heating” if it does "
                                         "not matter")
    measures = models.JSONField(
        default=list, blank=True, validators=[validate_measures],
        help_text="What it is for (solar panels, a heat pump, insulation…); empty: not stated")
    low_income_only = models.BooleanField(default=False)
    minimum_gbp = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                      validators=[MinValueValidator(0)],
                                      help_text="Smallest investment or cost, £")
    area_codes = models.JSONField(default=list, blank=True,
                                  help_text="LSOA, MSOA or ward codes served; empty: the whole city")
    building = models.CharField(max_length=200, blank=True,
                                help_text="The community building it is about, if any")
    group_threshold = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Group purchase: flag a ward once this many register")
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Interest(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="interests")
    postcode = models.CharField(max_length=10)
    lsoa_code = models.CharField(max_length=20)
    ward_code = models.CharField(max_length=20, blank=True)
    tenure = models.CharField(max_length=8)
    home = models.CharField(max_length=8)
    low_income = models.BooleanField(default=False)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    consent = models.BooleanField(help_text="Agreed to be contacted about this offer")
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(consent=True),
                                   name="interest_only_with_consent"),
            # one registration per email address and offer, whatever the letter case: a
            # second registration is refused by the database, never merged into the first
            models.UniqueConstraint(Lower("email"), "offer", name="interest_once_per_email"),
        ]

    def __str__(self) -> str:
        return f"Interest in {self.offer} ({self.created:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("energy:interest", args=[self.token])
