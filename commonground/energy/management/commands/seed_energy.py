"""Demo energy offers for Milton Keynes: a community energy co-operative, an installer and the
council. Illustrative offers for the demo hub (the organisations and terms are made up for it,
and say so); run once, idempotent."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from commonground.accounts.models import Membership, Organisation
from commonground.energy.models import Offer
from commonground.places.cache import city_state

DEMO = "Demo offer for the Common Ground demonstration hub, not a real scheme."


class Command(BaseCommand):
    help = "Load believable demo energy offers (a co-op, an installer, the council)."

    def handle(self, *args, **options):
        state = city_state()
        wards = {a.name: a.code for a in state.by_geography.get("ward", [])}
        bletchley = [code for name, code in wards.items() if name.startswith("Bletchley")]
        coop, _ = Organisation.objects.get_or_create(
            slug="mk-community-energy", defaults={"name": "MK Community Energy (demo co-op)",
                                                  "kind": Organisation.Kind.COMMUNITY_GROUP})
        installer, _ = Organisation.objects.get_or_create(
            slug="sunny-roofs", defaults={"name": "Sunny Roofs Ltd (demo installer)",
                                          "kind": Organisation.Kind.BUSINESS})
        council_name = f"{state.run.city_name} City Council"  # as demo_accounts names it
        council, _ = Organisation.objects.get_or_create(
            slug=council_name.lower().replace(" ", "-"),
            defaults={"name": council_name, "kind": Organisation.Kind.COUNCIL})
        offers = [
            dict(organisation=coop, kind="community_shares",
                 title="Community shares: Bletchley library roof",
                 summary="Buy shares in solar panels on Bletchley library. The library uses the "
                         "electricity; members share the income and vote on how the surplus "
                         "helps local households.",
                 terms=f"From £50. Target return 3–4% a year, not guaranteed. {DEMO}",
                 minimum_gbp=50, building="Bletchley library"),
            dict(organisation=coop, kind="group_purchase", title="Bletchley solar bulk buy",
                 summary="Neighbours sign up together and get one installer at a group price.",
                 terms=f"Free to register; no obligation to buy. {DEMO}", tenure="own",
                 home="house", area_codes=bletchley, group_threshold=5),
            dict(organisation=installer, kind="own_roof", title="Panels for your roof",
                 summary="A survey, MCS-certified design and installation for your house.",
                 terms=f"Typical 3–4 kWp system; free survey. {DEMO}", tenure="own",
                 home="house"),
            dict(organisation=council, kind="grant", title="Warm Homes solar grant",
                 summary="Help with the cost of panels for homeowners on a low income.",
                 terms=f"Up to the full cost for eligible households. {DEMO}", tenure="own",
                 low_income_only=True),
        ]
        made = 0
        for data in offers:
            _, created = Offer.objects.get_or_create(title=data["title"], defaults=data)
            made += created
        self.stdout.write(f"seed_energy: {made} offer(s) added")
        if settings.DEBUG:  # a co-op member to see registrations in the demo (known password)
            from commonground.catalogue.management.commands.demo_accounts import DEMO_PASSWORD

            user, created = get_user_model().objects.get_or_create(username="coop-member")
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            Membership.objects.get_or_create(user=user, organisation=coop,
                                             defaults={"role": Membership.Role.MEMBER})
            self.stdout.write(f"  coop-member / {DEMO_PASSWORD}: member of {coop.name}")
