"""Count the registrations of interest made before each one was counted as it came
(``registrations.REGISTERING``, for the public "who is signing up" page): each person once,
by email address, in the order they first registered, by that registration's neighbourhood,
in the batches they would have had (``lens.batch_for``). Nothing else about them is copied."""

from django.conf import settings
from django.db import migrations

from commonground.participation.lens import batch_for
from commonground.participation.registrations import REGISTERING
from commonground.participation.services import pseudonym


def count_energy_registrations(apps, schema_editor) -> None:
    Interest = apps.get_model("energy", "Interest")
    TakingPart = apps.get_model("participation", "TakingPart")
    thing = ":".join(REGISTERING)
    threshold = int(settings.COMMONGROUND_DISCLOSURE_THRESHOLD)
    seen = set(TakingPart.objects.filter(thing=thing).values_list("person", flat=True))
    for email, code in Interest.objects.order_by("created", "pk").values_list("email",
                                                                              "lsoa_code"):
        person = pseudonym("taking part", *REGISTERING, f"email:{email.strip().lower()}")
        if person in seen:
            continue
        TakingPart.objects.create(thing=thing, person=person, lsoa_code=code,
                                  batch=batch_for(len(seen), threshold))
        seen.add(person)


class Migration(migrations.Migration):

    dependencies = [("participation", "0002_forget_answers_per_request"),
                    ("energy", "0003_interest_once_per_email")]

    operations = [migrations.RunPython(count_energy_registrations, migrations.RunPython.noop)]
