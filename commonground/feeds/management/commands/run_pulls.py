"""``manage.py run_pulls``: pull the due feeds and refresh the due dataset URLs now."""

from django.core.management.base import BaseCommand

from commonground.feeds import pulling, schedule


class Command(BaseCommand):
    help = ("Pull every feed whose interval has passed (or whose retry is due) and refresh "
            "every dataset URL resource whose update frequency has passed; each run is "
            "recorded on the feed's page. With a db_worker this also starts its schedule "
            "(every minute); without one, run this from cron. "
            "Example: python manage.py run_pulls")

    def handle(self, *args, **options):
        self.stdout.write(f"run_pulls: {pulling.run_due()}")
        schedule.schedule()
