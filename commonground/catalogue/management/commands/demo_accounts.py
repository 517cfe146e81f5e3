"""``manage.py demo_accounts``: a council and a community group with one editor each (demo only)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from commonground.accounts.models import Membership, Organisation

DEMO_PASSWORD = "commonground-demo"  # noqa: S105 - the demo's published password; DEBUG only


class Command(BaseCommand):
    help = "Create demo organisations and editors (refuses to run with DEBUG off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_accounts creates known passwords: only with DEBUG on.")
        from commonground.geography.manifest import load_manifest

        city = load_manifest(settings.COMMONGROUND_DATA).city_name
        people = [("council-officer", f"{city} City Council", Organisation.Kind.COUNCIL),
                  ("group-editor", f"{city} Community Action", Organisation.Kind.COMMUNITY_GROUP)]
        User = get_user_model()
        for username, org_name, kind in people:
            org, _ = Organisation.objects.get_or_create(
                slug=org_name.lower().replace(" ", "-"), defaults={"name": org_name, "kind": kind})
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            Membership.objects.get_or_create(user=user, organisation=org,
                                             defaults={"role": Membership.Role.EDITOR})
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}: editor of {org_name}")
