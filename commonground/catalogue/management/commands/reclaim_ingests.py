"""``manage.py reclaim_ingests``: mark ingests whose worker died failed; delete leftover files."""

from django.core.management.base import BaseCommand

from commonground.catalogue.services.reclaim import reclaim_ingests


class Command(BaseCommand):
    help = ("Mark ingest jobs whose worker stopped as failed and delete their staged uploads "
            "and temporary folders, and any orphaned ones. The db_worker does this every few "
            "minutes by itself; run this by hand or from cron when no worker runs. "
            "Example: python manage.py reclaim_ingests")

    def handle(self, *args, **options):
        self.stdout.write(f"reclaim_ingests: {reclaim_ingests()}")
