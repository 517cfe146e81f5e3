"""``commonground energy heat-options``: a home's heat options as JSON, the same answer as the
page and ``/api/energy/heat/options`` (all three call ``heat_options``)."""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLE = ("Example: commonground energy heat-options --home flat --heating electric_storage "
           "--tenure private_renter --benefit universal_credit --postcode 'MK2 2HB'")


def add_parser(actions) -> None:
    """Add ``heat-options`` to the ``energy`` command's actions (argparse subparsers).

    Imports nothing: building the command line must not load the heat and solar models
    (hplib, pvlib: seconds), which every command would pay; a wrong answer names the field
    and lists its choices when the command runs."""
    p = actions.add_parser("heat-options", help="a home's heat options as JSON",
                           description=EXAMPLE + "\nBad answers: one line naming the field, "
                           "exit status 2 (3 for a postcode the city does not have).",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", required=True, help="kind of home, e.g. semi-detached or flat")
    p.add_argument("--heating", required=True, help="central heating as Census 2021 (TS046) asks, e.g. gas or "
                   "electric_storage")
    p.add_argument("--tenure", required=True, help="owner, social_renter or private_renter")
    p.add_argument("--benefit", action="append", dest="benefits",
                   help="a benefit the household gets, e.g. universal_credit: repeat for "
                   "each (or 'none')")
    p.add_argument("--epc-band", help="A to G")
    p.add_argument("--council-tax-band", help="A to H")
    p.add_argument("--name-on-bill", help="yes or no: your name is on the electricity bill")
    p.add_argument("--fuel-kwh", help="yearly use of the heating fuel from bills, kWh")
    p.add_argument("--postcode", help="a postcode of the city, for local offers")


def answers(args: argparse.Namespace) -> dict:
    given = {"home_type": args.home, "heating": args.heating, "tenure": args.tenure,
             "benefits": args.benefits, "epc_band": args.epc_band,
             "council_tax_band": args.council_tax_band,
             "name_on_electricity_bill": args.name_on_bill, "annual_fuel_kwh": args.fuel_kwh,
             "postcode": args.postcode}
    return {k: v for k, v in given.items() if v not in (None, "")}


def run(args: argparse.Namespace) -> int:
    """Print the options as JSON; a bad answer: one line on stderr naming the field."""
    from commonground.heat import HeatInputError

    from .heat_options import heat_options
    from .services import HomeInputError, PostcodeNotFound

    try:
        print(json.dumps(heat_options(answers(args)), indent=2, ensure_ascii=False))
    except PostcodeNotFound as exc:
        print(f"error: {exc} (field: {exc.field})", file=sys.stderr)
        return 3
    except (HeatInputError, HomeInputError) as exc:
        print(f"error: {exc} (field: {exc.field})", file=sys.stderr)
        return 2
    return 0
