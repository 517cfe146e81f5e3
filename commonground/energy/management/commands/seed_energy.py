"""Demo energy offers for Milton Keynes: a community energy co-operative, an installer and the
council, for solar power and for heat (an insulation grant, a heat pump group buy).
Illustrative offers for the demo hub (the organisations and terms are made up for it, and say
so); run once, idempotent."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from commonground.accounts.models import Membership, Organisation
from commonground.energy.models import Offer
from commonground.places.cache import city_state

DEMO = "Demo offer for the Common Ground demonstration hub, not a real scheme."
#: The insulation grant's areas: neighbourhoods (Census 2021 LSOAs) in England's most
#: deprived fifth, IMD deciles 1 and 2, as the Warm Homes: Local Grant's area rule.
GRANT_DECILES = (1, 2)
INSULATION = ["loft_insulation", "cavity_wall_insulation", "solid_wall_insulation",
              "draught_proofing"]


def most_deprived_fifth() -> list[str]:
    """The city's neighbourhoods in IMD deciles 1-2 (empty if its data has no IMD)."""
    from commonground.energy.left_out import NoLeftOutData, tables

    try:
        data = tables()
    except NoLeftOutData:
        return []
    if data["decile"] is None:
        return []
    state = data["state"]
    return [a.code for a, d in zip(state.base_areas, data["decile"], strict=True)
            if d in GRANT_DECILES]


class Command(BaseCommand):
    help = ("Load believable demo energy offers (a co-op, an installer, the council): solar, "
            "insulation and heat pumps.")

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
        deprived = most_deprived_fifth()
        where = ("in the city's most deprived neighbourhoods (Census 2021 areas in England's "
                 "most deprived fifth on the Indices of Deprivation)" if deprived else
                 "anywhere in the city")
        offers = [
            dict(organisation=coop, kind="community_shares",
                 title="Community shares: Bletchley library roof", measures=["solar_pv"],
                 summary="Buy shares in solar panels on Bletchley library. The library uses the "
                         "electricity; members share the income and vote on how the surplus "
                         "helps local households.",
                 terms=f"From £50. Target return 3–4% a year, not guaranteed. {DEMO}",
                 minimum_gbp=50, building="Bletchley library"),
            dict(organisation=coop, kind="group_purchase", title="Bletchley solar bulk buy", measures=["solar_pv"],
                 summary="Neighbours sign up together and get one installer at a group price.",
                 terms=f"Free to register; no obligation to buy. {DEMO}", tenure="own",
                 home="house", area_codes=bletchley, group_threshold=5),
            dict(organisation=installer, kind="own_roof", title="Panels for your roof", measures=["solar_pv"],
                 summary="A survey, MCS-certified design and installation for your house.",
                 terms=f"Typical 3–4 kWp system; free survey. {DEMO}", tenure="own",
                 home="house"),
            dict(organisation=council, kind="grant", title="Warm Homes solar grant", measures=["solar_pv"],
                 summary="Help with the cost of panels for homeowners on a low income.",
                 terms=f"Up to the full cost for eligible households. {DEMO}", tenure="own",
                 low_income_only=True),
            dict(organisation=council, kind="grant", title="Home insulation grant",
                 measures=INSULATION,
                 summary="Free loft, cavity wall or solid wall insulation and draught-proofing "
                         f"for households on a low income {where}. Owners can apply, and "
                         "tenants with their landlord's agreement.",
                 terms="Up to the full cost. A surveyor checks first which work your home "
                       "needs. Modelled on the government's Warm Homes: Local Grant, which "
                       f"councils run. {DEMO}",
                 low_income_only=True, heating="any", area_codes=deprived),
            dict(organisation=coop, kind="group_purchase",
                 title="Air-source heat pump group buy", measures=["air_source_heat_pump"],
                 summary="Owners of houses sign up together: one MCS-certified installer "
                         "surveys each home and fits an air-source heat pump at a group "
                         "price. For homes off the gas grid (oil, LPG, electric) and on mains "
                         "gas alike.",
                 terms="Free to register; no obligation to buy. Any grant your home "
                       f"qualifies for comes off the price. {DEMO}",
                 tenure="own", home="house", heating="any", group_threshold=10),
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
