from django.conf import settings
from django.db import migrations, models


def resolve_duplicate_open_reports(apps, schema_editor):
    """Before the constraint: of one person's open reports on one comment, keep the first
    open; the others (the same person saying it again) are marked resolved."""
    Report = apps.get_model("consultations", "Report")
    seen = set()
    for report in (Report.objects.filter(resolved=False, reporter__isnull=False)
                   .order_by("created", "pk")):
        key = (report.comment_id, report.reporter_id)
        if key in seen:
            Report.objects.filter(pk=report.pk).update(resolved=True)
        seen.add(key)


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0002_supports_outlive_accounts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(resolve_duplicate_open_reports, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='report',
            constraint=models.UniqueConstraint(condition=models.Q(('resolved', False)), fields=('comment', 'reporter'), name='one_open_report_each'),
        ),
    ]
