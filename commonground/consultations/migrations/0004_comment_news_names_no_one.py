"""Comment news written before events stopped naming people ("jo commented on “…”") is
rewritten as it is written now ("New comment on “…”"), in the public record and in
notifications, so a deleted account's name does not stay in feeds."""

import re

from django.db import migrations

URL = re.compile(r"/consultations/\d+/#comment-\d+$")
NAMED = re.compile(r"^\S+ (commented|replied to a comment) on (“.*)$", re.DOTALL)
NEW = {"commented": "New comment", "replied to a comment": "New reply to a comment"}


def unnamed(text: str) -> str | None:
    """The same news without the name; None when ``text`` is not named comment news."""
    match = NAMED.match(text)
    return f"{NEW[match.group(1)]} on {match.group(2)}" if match else None


def forget_names(apps, schema_editor):
    for model in (apps.get_model("community", "Event"),
                  apps.get_model("community", "Notification")):
        rows = model.objects.filter(url__regex=r"/consultations/[0-9]+/#comment-[0-9]+$")
        for pk, text, url in rows.values_list("pk", "text", "url"):
            new = unnamed(text) if URL.search(url) else None
            if new is not None:
                model.objects.filter(pk=pk).update(text=new)


class Migration(migrations.Migration):

    dependencies = [
        ("consultations", "0003_one_open_report_each"),
        ("community", "0005_digest_preferences"),
    ]

    operations = [migrations.RunPython(forget_names, migrations.RunPython.noop)]
