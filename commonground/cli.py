"""The ``commonground`` command line. Thin wrappers around the same services as the pages.

Examples::

    commonground load                                  # load ../shared/data (or COMMONGROUND_DATA)
    commonground places lookup --lat 52.04 --lon -0.76  # which LSOA, MSOA and ward?
    commonground places search Bletchley
    commonground places profile lsoa21 E01016710 --json
    commonground energy heat E05009406                 # a ward's heat picture (fuel poverty, heating)
    commonground energy heat-options --home flat --heating gas --tenure owner  # a home's options
    commonground energy campaign --geography ward --csv  # where to knock first, ranked
    commonground ingest schools.csv --dataset schools  # new version, with a progress bar
    commonground harvest ckan https://ckan.example.org --limit 20  # copy a CKAN portal
    commonground serve --port 8000                     # gunicorn and the background worker
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import sys
from collections.abc import Callable

EXIT_USAGE, EXIT_NOT_FOUND, EXIT_DATA = 2, 3, 4


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")
    import django

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="commonground", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="load the city's places and indicators",
                          description="Example: commonground load --data ../shared/data")
    load.add_argument("--data", help="data folder with datapackage.json (default COMMONGROUND_DATA)")
    load.add_argument("--force", action="store_true", help="reload even if nothing changed")
    places = sub.add_parser("places", help="look up places").add_subparsers(dest="action", required=True)
    lookup = places.add_parser("lookup", help="areas containing a point",
                               description="Example: commonground places lookup --lat 52.04 --lon -0.76")
    lookup.add_argument("--lat", type=float, required=True, help="latitude, WGS84 degrees")
    lookup.add_argument("--lon", type=float, required=True, help="longitude, WGS84 degrees")
    lookup.add_argument("--json", action="store_true", help="print JSON")
    search = places.add_parser("search", help="find areas by name, code or postcode",
                               description="Example: commonground places search Bletchley")
    search.add_argument("query")
    profile = places.add_parser("profile", help="an area's profile as JSON",
                                description="Example: commonground places profile ward E05009406")
    profile.add_argument("geography")
    profile.add_argument("code")
    energy = sub.add_parser("energy", help="energy and heat").add_subparsers(dest="action", required=True)
    heat = energy.add_parser("heat", help="an area's heat picture as JSON: fuel poverty, heating, "
                             "homes, tenure", description="Example: commonground energy heat E05009406")
    heat.add_argument("code", help="an area's code (LSOA, MSOA, ward or the authority)")
    heat.add_argument("--geography", help="the code's geography (default: found from the code)")
    from commonground.energy import heat_cli

    heat_cli.add_parser(energy)  # energy heat-options: a home's heat options as JSON
    from commonground.energy import campaign_cli

    campaign_cli.add_parser(energy)  # energy campaign: where to knock first
    from commonground.catalogue import cli as catalogue_cli

    catalogue_cli.add_ingest_parser(sub)
    from commonground.catalogue import lens_cli

    lens_cli.add_lens_parser(sub)
    harvest = sub.add_parser(
        "harvest", help="copy a CKAN portal's public datasets and files into the hub",
        description="Example: commonground harvest ckan https://ckan.example.org --limit 20\n"
                    "Exit status 4 when some resources could not be downloaded or ingested, "
                    "3 when the portal cannot be read.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    harvest.add_argument("portal", choices=["ckan"], help="the portal's software")
    harvest.add_argument("url", help="the portal's address, e.g. https://ckan.example.org")
    harvest.add_argument("--allow-private", action="store_true",
                         help="also fetch files from private or loopback addresses")
    harvest.add_argument("--limit", type=int, help="harvest at most this many datasets")
    harvest.add_argument("--organisation-kind", default="national_body",
                         help="kind of the organisations created (default national_body)")
    from commonground import serve

    serve.add_serve_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Starting makes some 100,000 objects (modules, classes, Django's models) that live as
    # long as the command: the cyclic garbage collector, which would scan them again and again
    # as they are made, waits until they are, then leaves them out of its scans (``freeze``).
    # A cold command's start costs 0.1-0.2 s less CPU; what the command makes is collected.
    gc.disable()
    try:
        args = _parser().parse_args(argv)
        _setup_django()
    finally:
        gc.freeze()
        gc.enable()
    from django.db import DatabaseError, connection

    if args.command == "load" and (behind := _unapplied_migrations()):
        # the first command on a new machine makes the tables
        from django.core.management import call_command

        print(f"The database lacks {behind} migration(s): migrating first.", file=sys.stderr)
        call_command("migrate", verbosity=0)
    try:
        return _COMMANDS[args.command](args)
    except DatabaseError:
        behind = _unapplied_migrations()  # only asked when the database fails: it costs 0.1 s
        if not behind:
            raise
        print(f"error: the database ({connection.settings_dict['NAME']}) lacks {behind} "
              "migration(s): run `python manage.py migrate` (or `commonground load`, which "
              "migrates first)", file=sys.stderr)
        return EXIT_DATA


def _unapplied_migrations() -> int:
    """How many migrations the database has not had (all of them on a new database)."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _ingest(args) -> int:
    from commonground.catalogue import cli as catalogue_cli

    return catalogue_cli.run_ingest(args)


def _lens(args) -> int:
    from commonground.catalogue import lens_cli

    return lens_cli.run_lens(args)


def _reports_place_errors(command: Callable[[argparse.Namespace], int]):
    """``command`` with the places services' errors given as one line on stderr and the exit
    status that goes with each."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        from commonground.geography.errors import DataError
        from commonground.places.records import AreaNotFound, NotLoaded
        from commonground.places.search import OutsideCity

        try:
            return command(args)
        except (OutsideCity, AreaNotFound) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_NOT_FOUND
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except NotLoaded as exc:
            print(f"error: {exc} (or `commonground load`)", file=sys.stderr)
            return EXIT_DATA
        except DataError as exc:
            print(f"error: nothing was loaded. {exc}", file=sys.stderr)
            return EXIT_DATA

    return run


@_reports_place_errors
def _load(args) -> int:
    from commonground.places.loading import load_places

    print(load_places(args.data, force=args.force).describe())
    return 0


@_reports_place_errors
def _lookup(args) -> int:
    from commonground.places.lookup import areas_at_from_database

    found = areas_at_from_database(args.lat, args.lon)  # one point: no need to load the whole city
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for area in sorted(found["areas"].values(), key=lambda a: a["geography"]):
            print(f"{area['geography_label']:<42} {area['code']}  {area['name']}")
    return 0


@_reports_place_errors
def _search(args) -> int:
    from commonground.places.lookup import search_from_database

    result = search_from_database(args.query)  # one search: no need to load the whole city
    if result.postcode and result.postcode.get("area"):
        a = result.postcode["area"]
        print(f"{result.postcode['postcode']}: {a['geography_label']} {a['code']}  {a['name']}")
    if result.postcode_area:  # a postcode sector or district: a sentence saying what it holds
        print(result.postcode_area["summary"], file=sys.stderr if not result.areas else sys.stdout)
    if result.corrected:
        print(f"No place is called {args.query!r}: places matching {result.corrected!r}.", file=sys.stderr)
    for a in result.areas:
        print(f"{a['geography_label']:<42} {a['code']}  {a['name']}")
    if not result.areas and not (result.postcode and result.postcode.get("area")):
        print(f"No place matches {args.query!r}.", file=sys.stderr)
        return EXIT_NOT_FOUND
    return 0


@_reports_place_errors
def _profile(args) -> int:
    from commonground.places.profile_from_database import area_profile_from_database

    # one area: read what its profile needs, not the whole city
    print(json.dumps(area_profile_from_database(args.geography, args.code), indent=2))
    return 0


_PLACE_ACTIONS = {"lookup": _lookup, "search": _search, "profile": _profile}


def _places(args) -> int:
    return _PLACE_ACTIONS[args.action](args)


def _heat_options(args) -> int:
    from commonground.energy import heat_cli

    return heat_cli.run(args)


def _heat(args) -> int:
    from commonground.energy.heat_picture import NoHeatData, area_picture, find_geography

    try:
        geography = args.geography or find_geography(args.code)
        picture = area_picture(geography, args.code)
    except NoHeatData as exc:  # none of the picture's parts held: why
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATA
    if picture["missing_note"]:  # a part the data lacks: the rest given, said so
        print(f"note: {picture['missing_note']}", file=sys.stderr)
    print(json.dumps(picture, indent=2, ensure_ascii=False))
    return 0


def _campaign(args) -> int:
    from commonground.energy import campaign_cli

    return campaign_cli.run(args)


_ENERGY_ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "heat": _heat, "heat-options": _heat_options, "campaign": _campaign}


@_reports_place_errors
def _energy(args) -> int:
    return _ENERGY_ACTIONS[args.action](args)


def _harvest(args) -> int:
    from commonground.catalogue.services.harvest import HarvestError, harvest_ckan

    try:
        report = harvest_ckan(args.url, organisation_kind=args.organisation_kind,
                              allow_private=args.allow_private, limit=args.limit,
                              progress=lambda line: print(line, file=sys.stderr))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarvestError as exc:
        print(f"error: {exc}; check the address", file=sys.stderr)
        return EXIT_NOT_FOUND
    print(report.describe())
    return 0 if report.ok else EXIT_DATA


def _serve(args) -> int:
    from django.db import connection

    from commonground import serve

    if problem := serve.check(args):
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if behind := _unapplied_migrations():  # a server never migrates by itself
        print(f"error: the database ({connection.settings_dict['NAME']}) lacks {behind} "
              "migration(s): run `python manage.py migrate` first", file=sys.stderr)
        return EXIT_DATA
    return serve.run(args)


# Each command's function, by the name typed after ``commonground``.
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "load": _load, "places": _places, "ingest": _ingest, "harvest": _harvest, "lens": _lens,
    "serve": _serve, "energy": _energy,
}


if __name__ == "__main__":
    sys.exit(main())
