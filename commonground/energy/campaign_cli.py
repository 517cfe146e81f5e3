"""``commonground energy campaign``: where to knock first, as JSON or CSV: the same answer as
the page and ``/api/energy/heat/campaign`` (all call ``campaign``)."""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLE = ("Example: commonground energy campaign --fuel-poverty 50 --heating 30 --tenure 0 "
           "--deprivation 20 --geography ward --csv")
#: The factors' weight options, by the weight's key (``commonground.heat.campaign.FACTORS``;
#: not imported here, so building the command line loads nothing).
WEIGHTS = {"fuel_poverty": "fuel poverty (% of households, modelled; default 40)",
           "heating": "costly or no heating (% of households; default 25)",
           "tenure": "renting privately (% of households; default 15)",
           "deprivation": "deprivation (IMD score; default 20)"}


def add_parser(actions) -> None:
    """Add ``campaign`` to the ``energy`` command's actions (argparse subparsers)."""
    p = actions.add_parser("campaign", help="neighbourhoods ranked for a warm-homes campaign",
                           description=EXAMPLE + "\nA bad weight: one line naming it, exit "
                           "status 2. A factor the data lacks is left out, said in a note on "
                           "stderr and in missing_factors; none held: exit status 4. Places tie "
                           "on whole points: read the fifths.",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    for key, what in WEIGHTS.items():
        p.add_argument("--" + key.replace("_", "-"), dest=key,
                       help=f"weight of {what}: 0 to 100")
    p.add_argument("--geography", default="", help="areas to rank: the neighbourhoods "
                   "(default), msoa21 or ward")
    p.add_argument("--csv", action="store_true", help="CSV (units and sources in lines "
                   "starting #) instead of JSON")
    p.add_argument("--top", type=int, default=0, help="JSON: only the first N rows")


def run(args: argparse.Namespace) -> int:
    from .campaign import NoFactors, WeightError, campaign, csv_text

    try:
        result = campaign({k: getattr(args, k) for k in WEIGHTS}, args.geography)
    except WeightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NoFactors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    if result["missing_note"]:  # a factor the data lacks: ranked on the others, said so
        print(f"note: {result['missing_note']}", file=sys.stderr)
    if args.csv:
        sys.stdout.write(csv_text(result))
        return 0
    if args.top > 0:
        result = {**result, "rows": result["rows"][:args.top]}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
