"""Delete the answers kept under each data request (``request:<id>``) before an asker came to
count once across all their requests (``requests:hub``): nothing reads them any more, so
they were self-descriptions kept for no purpose. The standing descriptions and every thing
still read (``requests:hub``, ``consultation:``, ``offer:``...) are left as they were."""

from django.db import migrations

#: The prefix of the old per-request things ("requests:hub" does not start with it).
OLD_PER_REQUEST = "request:"


def forget_answers_per_request(apps, schema_editor) -> None:
    TakingPart = apps.get_model("participation", "TakingPart")
    TakingPart.objects.filter(thing__startswith=OLD_PER_REQUEST).delete()


class Migration(migrations.Migration):

    dependencies = [("participation", "0001_initial")]

    operations = [migrations.RunPython(forget_answers_per_request, migrations.RunPython.noop)]
