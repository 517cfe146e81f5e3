"""``manage.py run_pulls``: pull the due feeds and refresh the due dataset URLs now."""

from django.core.management.base import BaseCommand

from commonground.feeds import pulling, schedule


class Command(BaseCommand):
    help = ("Pull every feed whose interval has passed (or whose retry is due) and refresh "
            "every dataset URL resource whose update frequency has passed; each run is "
            "recorded on the feed's page. With a db_worker this also starts its schedule "
            "(every minute); without one, run this from cron. "
            "Example: python manage.py run_pulls")

    def add_arguments(self, parser):
        parser.add_argument("--schedule-only", action="store_true",
                            help="Only make sure the worker's round is queued (the demo's "
                                 "start-up): pull nothing now")

    def handle(self, *args, **options):
        if not options["schedule_only"]:
            self.stdout.write(f"run_pulls: {pulling.run_due()}")
        schedule.schedule()
