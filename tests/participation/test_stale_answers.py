"""Answers nothing reads are not kept: those stored under each data request
(``request:<id>``) before an asker came to count once across their requests
(``requests:hub``) are deleted by a data migration; everything still read stays."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from commonground.participation.models import Description, TakingPart

pytestmark = pytest.mark.django_db

migration = import_module("commonground.participation.migrations.0002_forget_answers_per_request")


def test_the_answers_kept_per_data_request_are_deleted_and_nothing_else(db):
    def row(thing: str, person: str) -> None:
        TakingPart.objects.create(thing=thing, person=person, batch=1, ethnic_group="black",
                                  lsoa_code="E01016710")

    for pk in (5, 12):  # under the old key: one table per request, read by nothing
        row(f"request:{pk}", f"asker-{pk}")
    kept = ["requests:hub", "consultation:3", "offer:2", "registrations:energy"]
    for thing in kept:
        row(thing, "someone")
    Description.objects.create(person="someone", ethnic_group="black")

    migration.forget_answers_per_request(apps, None)

    assert sorted(TakingPart.objects.values_list("thing", flat=True)) == sorted(kept)
    assert Description.objects.filter(person="someone", ethnic_group="black").exists()
    migration.forget_answers_per_request(apps, None)  # again: nothing more goes
    assert TakingPart.objects.count() == len(kept)
