"""``manage.py remind_grants``: tell grantees their access to restricted data ends soon."""

from django.core.management.base import BaseCommand

from commonground.catalogue.services.access_requests import REMIND_DAYS, remind_grants


class Command(BaseCommand):
    help = (f"Tell each holder of a grant ending within {REMIND_DAYS} days (once, in the site "
            "and by email) that it ends, and each whose grant ended before they were told "
            "that it has; renewing is a new, shorter request. Run daily from cron. "
            "Example: python manage.py remind_grants")

    def handle(self, *args, **options):
        done = remind_grants()
        self.stdout.write(f"remind_grants: {len(done.reminded)} grant(s) ending within "
                          f"{REMIND_DAYS} days reminded, {len(done.ended)} ended grant(s) noted")
