"""What residents say about themselves, stored apart from their accounts.

Nothing here refers to an account, and no account refers to anything here. A leak of these
two tables shows answers under pseudonyms that only the site's secret key links to a person
(``services.pseudonym``): random ids (no row order that follows sign-up or comment order), no
dates, no postcodes (only the neighbourhood's code), no free text.

* ``Description``: a person's standing answers (given at sign-up or with any later form),
  under a pseudonym of their account; deleted with the account.
* ``TakingPart``: one row per person and thing they took part in (a consultation, a data
  request, an offer, the hub's sign-ups): a copy of their answers at that moment under a
  pseudonym of person *and* thing, so rows of different things cannot be joined, and the
  batch the row falls in (the published tables move on one whole batch at a time:
  ``lens``). Kept when the account goes, as the comments are: the published tables never
  change.
"""

from __future__ import annotations

import uuid

from django.db import models


class Answers(models.Model):
    """The answers (``questions.QUESTIONS``: a category's value, ``questions.NO_SAY``, or ""
    for no answer) and the neighbourhood (a base area's code, or "")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    age_band = models.CharField(max_length=16, blank=True, default="")
    sex = models.CharField(max_length=16, blank=True, default="")
    ethnic_group = models.CharField(max_length=16, blank=True, default="")
    disability = models.CharField(max_length=16, blank=True, default="")
    tenure = models.CharField(max_length=16, blank=True, default="")
    lsoa_code = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        abstract = True


class Description(Answers):
    person = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return "A self-description"


class TakingPart(Answers):
    thing = models.CharField(max_length=80)  # "consultation:12"
    person = models.CharField(max_length=64)
    batch = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thing", "person"],
                                               name="one_taking_part_per_person")]
        indexes = [models.Index(fields=["thing", "batch"])]

    def __str__(self) -> str:
        return "Someone taking part"
