"""``manage.py replay_feeds [--owner SLUG] [--feed SLUG] [--once | --speedup N]``: the data
folder's recorded sensor data (manifest roles "sensor-sites" and "sensor-observations")
written into feeds through the same path as every push (``feeds.replay``)."""

from django.core.management.base import BaseCommand, CommandError

from commonground.accounts.models import Organisation
from commonground.feeds import editing, replay, writing
from commonground.geography.errors import DataError


class Command(BaseCommand):
    help = ("Replay the data folder's recorded sensor data into feeds kept by an organisation. "
            "Example: manage.py replay_feeds --once (back-fill every recorded reading at its "
            "own time; idempotent), or manage.py replay_feeds --speedup 60 (play the "
            "recordings forward from now, 60 times faster, so the live map moves)")

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="slug of the organisation that keeps the feeds "
                                            "(default: the hub's one council)")
        parser.add_argument("--feed", action="append", default=[],
                            help="only this recorded feed (repeatable), e.g. "
                                 "leeds-footfall-2015-16")
        parser.add_argument("--data", help="data folder (default: COMMONGROUND_DATA)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true",
                          help="back-fill every recorded reading at its own time, then stop")
        mode.add_argument("--speedup", type=float, default=None,
                          help="play forward from now this many times faster than recorded")
        parser.add_argument("--duration", type=float, default=None,
                            help="with --speedup: stop after this many seconds")

    def handle(self, *args, owner=None, feed=(), data=None, once=False, speedup=None,
               duration=None, **options):
        keeper = self._owner(owner)
        try:
            recorded = replay.recorded_feeds(data)
        except DataError as exc:
            raise CommandError(f"Nothing was replayed. {exc}") from exc
        if feed:
            unknown = sorted(set(feed) - {r.slug for r in recorded})
            if unknown:
                raise CommandError(f"No recorded feed {', '.join(unknown)}: the data folder has "
                                   f"{', '.join(r.slug for r in recorded) or 'none'}.")
            recorded = [r for r in recorded if r.slug in feed]
        if speedup is not None and speedup <= 0:
            raise CommandError("--speedup must be more than 0, e.g. --speedup 60.")
        try:
            feeds = [(replay.ensure_feed(r, keeper), r) for r in recorded]
        except editing.EditError as exc:
            raise CommandError(f"A sites file cannot be read: {exc}") from exc
        if speedup is None:
            once = True
        try:
            if once:
                for made, rec in feeds:
                    result = replay.backfill(made, rec)
                    self.stdout.write(f"  {made.slug}: {result.added:,} observations added, "
                                      f"{result.unchanged:,} already there")
            else:
                self.stdout.write(f"  playing {len(feeds)} feeds {speedup:g}× faster than "
                                  "recorded (Ctrl-C stops)")
                written = replay.live(feeds, speedup=speedup, duration=duration)
                self.stdout.write(f"  {written:,} observations written")
        except writing.WriteError as exc:
            raise CommandError(f"A batch was refused, nothing of it written: {exc}") from exc

    def _owner(self, slug: str | None) -> Organisation:
        if slug:
            found = Organisation.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"No organisation {slug!r} on the hub: give --owner the "
                                   "slug of one (see /admin/accounts/organisation/).")
            return found
        councils = list(Organisation.objects.filter(kind=Organisation.Kind.COUNCIL)[:2])
        if len(councils) != 1:
            raise CommandError("Say which organisation keeps the feeds: --owner SLUG "
                               f"(the hub has {'no' if not councils else 'several'} councils).")
        return councils[0]
