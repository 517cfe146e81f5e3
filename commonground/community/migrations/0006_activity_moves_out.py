"""Follows, events, event targets, notifications and digest preferences move to the
``activity`` app. Only Django's record of the models goes (``state_operations``); the tables
and every row stay where they are, and ``activity.0001`` takes the models over.

It runs after the last migration of another app that reads these models as ``community``'s
(``consultations.0004`` rewrites old comment news)."""

from django.db import migrations

MOVED = ["EventTarget", "Event", "Follow", "Notification", "Preferences"]


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0005_digest_preferences"),
        ("consultations", "0004_comment_news_names_no_one"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name) for name in MOVED],
            database_operations=[],
        ),
    ]
