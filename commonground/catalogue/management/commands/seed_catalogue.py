"""``manage.py seed_catalogue``: publish the city folder's point datasets (idempotent)."""

from django.core.management.base import BaseCommand

from commonground.catalogue.services.seed import seed_catalogue


class Command(BaseCommand):
    help = "Publish the data folder's point datasets (GP practices, schools, ...) in the catalogue."

    def add_arguments(self, parser):
        parser.add_argument("--data", help="data folder (default COMMONGROUND_DATA)")

    def handle(self, *args, data=None, **options):
        made = seed_catalogue(data, log=self.stdout.write)
        self.stdout.write(f"seed_catalogue: {len(made)} dataset(s) added")
