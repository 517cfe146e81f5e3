"""``manage.py seed_community``: a small, believable community for the demo hub — groups with
members and a waiting join request, data requests with answers on the record, a
consultation, an evidence pack and a restricted dataset with two residents' requests for it
(one waiting, one counter-offered). Demo only (known passwords); idempotent.

Run after ``load_places`` and ``seed_catalogue`` (it runs ``demo_accounts`` itself). The consultation and
the evidence pack name Milton Keynes places; for another city they are skipped, said so.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.management.commands.demo_accounts import DEMO_PASSWORD
from commonground.community import services
from commonground.community.models import DataRequest, JoinRequest
from commonground.places.cache import city_state

RESIDENTS = ("amina", "dave", "kasia")

REQUESTS = [
    # (title, description, asked on behalf of the group?, answer status, answer)
    ("Footfall at food bank sites",
     "How many people use each food bank and community pantry each week, by site? We want "
     "to see whether the places people rely on are where need is growing.",
     True, "under_review",
     "We hold visit counts for the two council-run pantries. We are checking with the "
     "partners who run the other sites whether we may publish theirs."),
    ("Public EV chargers per estate",
     "How many public charge points are there on each estate, and how many homes there have "
     "no driveway? Streets of terraced houses seem to have none.",
     False, "", ""),
    ("Bus stops without shelters",
     "Which bus stops have no shelter or seating? Older residents wait in the rain.",
     False, "declined",
     "We do not hold a complete record of shelters at the moment: the survey is due next "
     "year and we will publish it then."),
]


class Command(BaseCommand):
    help = "Load demo groups, members, data requests, a consultation and an evidence pack."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_community creates known passwords: only with DEBUG on.")
        call_command("demo_accounts", stdout=self.stdout)  # the council, group and editors
        state = city_state()
        city = state.run.city_name
        council = Organisation.objects.get(slug=f"{city} City Council".lower().replace(" ", "-"))
        group = Organisation.objects.get(
            slug=f"{city} Community Action".lower().replace(" ", "-"))
        if not group.description:
            group.description = ("Residents and volunteers working on food, fuel and transport "
                                 "in our estates (a demo group).")
            group.save(update_fields=["description"])
        editor = get_user_model().objects.get(username="group-editor")
        Membership.objects.filter(user=editor, organisation=group).update(
            role=Membership.Role.ADMIN)
        people = self._residents(group)
        self._requests(council, group, people, state)
        self._optional("consultation", lambda: self._consultation(council, group, people))
        self._optional("evidence pack", lambda: self._pack(group, editor))
        self._optional("restricted data", lambda: self._restricted(council, people))

    def _residents(self, group) -> dict:
        User = get_user_model()
        people = {}
        for name in RESIDENTS:
            user, created = User.objects.get_or_create(username=f"resident-{name}")
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            people[name] = user
        for name in RESIDENTS[:2]:
            Membership.objects.get_or_create(user=people[name], organisation=group)
        if not Membership.objects.filter(user=people["kasia"], organisation=group).exists():
            JoinRequest.objects.get_or_create(
                user=people["kasia"], organisation=group, status=JoinRequest.Status.PENDING,
                defaults={"message": "I run the Tuesday lunch club and would like to help."})
        self.stdout.write(f"  resident-amina, resident-dave (members), resident-kasia "
                          f"(asking to join) / {DEMO_PASSWORD}")
        return people

    def _requests(self, council, group, people, state) -> None:
        wards = [w.name for w in state.by_geography.get("ward", [])]
        places = ", ".join([w for w in wards if w.startswith("Bletchley")][:2] or wards[:2])
        officer = get_user_model().objects.get(username="council-officer")
        for i, (title, text, for_group, status, reply) in enumerate(REQUESTS):
            if DataRequest.objects.filter(title=title, organisation=council).exists():
                continue
            asker = people[RESIDENTS[i % 2]]
            with transaction.atomic():
                item = services.ask(asker, title=title, description=text, organisation=council,
                                    places=places, group=group if for_group else None)
                services.support(people[RESIDENTS[(i + 1) % 2]], item)
                if status:
                    services.answer(officer, item, status=status, text=reply)
        self.stdout.write(f"  {len(REQUESTS)} data requests to {council.name}")

    def _consultation(self, council, group, people) -> str:
        from commonground.consultations import demo

        return demo.seed(council, group, people).title

    def _pack(self, group, editor) -> str:
        from commonground.evidence import demo

        return demo.seed(group, editor).title

    def _restricted(self, council, people) -> str:
        from commonground.catalogue import demo_restricted

        officer = get_user_model().objects.get(username="council-officer")
        return demo_restricted.seed(council, officer, people)

    def _optional(self, what: str, make) -> None:
        try:
            self.stdout.write(f"  {what}: {make()}")
        except (ValueError, LookupError) as exc:  # the demo names Milton Keynes places
            self.stdout.write(f"  {what} skipped: {exc}")
