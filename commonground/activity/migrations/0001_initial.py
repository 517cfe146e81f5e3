"""Follows, events, event targets, notifications and digest preferences, taken over from the
``community`` app (``community.0006``) with their tables and rows: the models are created in
Django's record only (``database_operations=[]``), on the tables ``community`` made, whose
names they keep (``db_table``).

Their content types are renamed from ``community`` to ``activity``, so the permissions (and
admin log entries) that point at them stay with them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["event", "eventtarget", "follow", "notification", "preferences"]


def content_types_to(apps, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = content_type.objects.filter(app_label=new, model__in=MODELS).values("model")
    content_type.objects.filter(app_label=old, model__in=MODELS).exclude(
        model__in=taken).update(app_label=new)


def forwards(apps, schema_editor):
    content_types_to(apps, "community", "activity")


def backwards(apps, schema_editor):
    content_types_to(apps, "activity", "community")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("community", "0006_activity_moves_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("text", models.CharField(max_length=300)),
                        ("url", models.CharField(max_length=300)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("actor", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                            related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "community_event", "ordering": ["-created", "-pk"]},
                ),
                migrations.CreateModel(
                    name="EventTarget",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=16)),
                        ("key", models.CharField(max_length=100)),
                        ("event", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE, related_name="targets",
                            to="activity.event")),
                    ],
                    options={
                        "db_table": "community_eventtarget",
                        "indexes": [models.Index(fields=["kind", "key"],
                                                 name="community_e_kind_a9f313_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="Follow",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=16)),
                        ("key", models.CharField(max_length=100)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("user", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE, related_name="follows",
                            to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "community_follow",
                        "indexes": [models.Index(fields=["kind", "key"],
                                                 name="community_f_kind_aa5a80_idx")],
                        "constraints": [models.UniqueConstraint(
                            fields=("user", "kind", "key"), name="one_follow_per_thing")],
                    },
                ),
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("text", models.CharField(max_length=300)),
                        ("url", models.CharField(max_length=300)),
                        ("read", models.BooleanField(default=False)),
                        ("emailed", models.BooleanField(default=False,
                                                        help_text="Sent in an email digest")),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("user", models.ForeignKey(
                            on_delete=django.db.models.deletion.CASCADE,
                            related_name="notifications", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "community_notification", "ordering": ["-created"]},
                ),
                migrations.CreateModel(
                    name="Preferences",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("digest", models.CharField(
                            choices=[("never", "Never: I look in the site"),
                                     ("daily", "Once a day"), ("weekly", "Once a week")],
                            default="never", max_length=8)),
                        ("user", models.OneToOneField(
                            on_delete=django.db.models.deletion.CASCADE,
                            related_name="community_preferences", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "community_preferences"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
