"""``manage.py apply_retention``: apply every datastream's retention now."""

from django.core.management.base import BaseCommand

from commonground.feeds.retention import apply_retention


class Command(BaseCommand):
    help = ("For every datastream with a retention (keep raw observations N days), store the "
            "hourly and daily aggregates of the older raw observations, then delete them. "
            "The db_worker does this every minute; run this by hand or from cron when no "
            "worker runs. Example: python manage.py apply_retention")

    def handle(self, *args, **options):
        self.stdout.write(f"apply_retention: {apply_retention()}")
