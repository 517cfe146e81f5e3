"""``manage.py load_places [--data DIR] [--force]``: load the city's places and indicators."""

from django.core.management.base import BaseCommand, CommandError

from commonground.geography.errors import DataError
from commonground.places.loading import load_places


class Command(BaseCommand):
    help = "Load boundaries, lookups and indicators from a city's data folder (datapackage.json)."

    def add_arguments(self, parser):
        parser.add_argument("--data", help="data folder (default: COMMONGROUND_DATA)")
        parser.add_argument("--force", action="store_true", help="reload even if no file changed")

    def handle(self, *args, data=None, force=False, **options):
        try:
            result = load_places(data, force=force)
        except DataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        self.stdout.write(result.describe())
        for m in result.run.mismatches[:20]:
            where = f" row {m['row']}" if m["row"] else ""
            self.stdout.write(f"  mismatch: {m['resource']}{where}: {m['code']} {m['problem']}")
