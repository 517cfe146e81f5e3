"""``manage.py send_digests --period daily|weekly``: email each person who chose that period
the notifications they have not yet been emailed (run it from cron)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from commonground.activity import digests


class Command(BaseCommand):
    help = "Email notification digests to people who chose the given period."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=["daily", "weekly"], default="daily")
        parser.add_argument("--site-url", default=settings.COMMONGROUND_SITE_URL,
                            help="Address links in the email start with")

    def handle(self, *args, period, site_url, **options):
        count = digests.send(period, site_url)
        self.stdout.write(f"Sent {count} {period} digest{'s' if count != 1 else ''}.")
