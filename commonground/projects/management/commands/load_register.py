"""``manage.py load_register [--owner SLUG] [--data DIR]``: import the data folder's register
of smart-city projects (the manifest's resource with role "projects")."""

from django.core.management.base import BaseCommand, CommandError

from commonground.accounts.models import Organisation
from commonground.geography.errors import DataError
from commonground.projects.importing import load_register


class Command(BaseCommand):
    help = ("Import the data folder's smart-city register, kept by a hub organisation. "
            "Example: manage.py load_register --owner milton-keynes-city-council")

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="slug of the hub organisation that keeps the "
                                            "projects (default: the hub's one council)")
        parser.add_argument("--data", help="data folder (default: COMMONGROUND_DATA)")

    def handle(self, *args, owner=None, data=None, **options):
        keeper = self._owner(owner)
        try:
            report = load_register(data, owner=keeper)
        except DataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(report.summary())
        self.stdout.write(f"  register kept by {keeper.name}: {report.summary()}")
        for note in report.notes:
            self.stdout.write(f"  {note}")

    def _owner(self, slug: str | None) -> Organisation:
        if slug:
            found = Organisation.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"No organisation {slug!r} on the hub: give --owner the "
                                   "slug of one (see /admin/accounts/organisation/).")
            return found
        councils = list(Organisation.objects.filter(kind=Organisation.Kind.COUNCIL)[:2])
        if len(councils) != 1:
            raise CommandError("Say which organisation keeps the projects: --owner SLUG "
                               f"(the hub has {'no' if not councils else 'several'} councils).")
        return councils[0]
