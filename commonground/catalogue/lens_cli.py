"""``commonground lens DATASET --by imd-decile``: the difference lens on the command line.

The same service as the page and the API, so the numbers are the same. Prints the plain-words
summary and one table; ``--json`` prints everything, ``--csv TABLE`` one table as CSV.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_USAGE, EXIT_NOT_FOUND, EXIT_DATA = 2, 3, 4


def add_lens_parser(sub) -> None:
    # not lens.deprivation: every command would load NumPy to list the groupings
    from commonground.lens.groupings import GROUPINGS

    p = sub.add_parser(
        "lens", help="who lives where a dataset's rows are: deprivation, groups, access",
        description="Example: commonground lens gp-practices --by imd-quintile\n"
                    "         commonground lens ev-chargepoints --where 'max_kw>=7'\n"
                    "         commonground lens ev-chargepoints --csv access > access.csv\n"
                    "         commonground lens ev-chargepoints --authority E06000055",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", help="the dataset's short name (slug)")
    p.add_argument("--by", choices=list(GROUPINGS), default="imd-decile",
                   help="deprivation grouping to print (default imd-decile)")
    p.add_argument("--resource", help="resource name or id (default: the first with places)")
    p.add_argument("--measure", choices=["count", "weight", "value"], default="count")
    p.add_argument("--column", help="numeric column for a weight or value measure")
    p.add_argument("--edition", help="deprivation edition, e.g. imd2019 or 2019 (default newest)")
    p.add_argument("--classes", choices=["fisher_jenks", "quantiles"], default="fisher_jenks")
    p.add_argument("--where", action="append", default=[], metavar="FILTER",
                   help="count only rows that pass: column=value, column!=value, column>=number "
                        "or column=low..high (repeat for several; the dataset's own filters "
                        "apply too)")
    p.add_argument("--authority", metavar="CODE",
                   help="in a package of several authorities, look at one alone (its code, "
                        "e.g. E06000055); default: the whole package")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print every section as JSON")
    out.add_argument("--csv", metavar="TABLE", help="print one table as CSV (imd-decile, "
                     "slope, disparity, disparity-areas, access, areas, ...)")


def run_lens(args) -> int:
    from commonground.lens.rows import json_default
    from commonground.lens.tables import tables
    from commonground.places.cache import NotLoaded

    from .models import Dataset
    from .services import lens as lens_service

    dataset = Dataset.objects.filter(name=args.dataset).first()
    if dataset is None:
        print(f"error: no dataset {args.dataset!r}; see /datasets/", file=sys.stderr)
        return EXIT_NOT_FOUND
    try:
        version, result = _lens(dataset, args)
    except lens_service.LensError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NotLoaded as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATA
    flat = tables(result)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=json_default))
        return 0
    if args.csv:
        return _print_csv(flat, args.csv)
    _print_summary(dataset, version, result, args.by)
    print(f"\nTables: {', '.join(flat)} (--csv TABLE); everything: --json")
    return 0


def _lens(dataset, args):
    """(version, lens result) for the dataset and the options on the command line, through
    the same service as the page."""
    from .services import lens as lens_service

    _, version = lens_service.choose(dataset, resource=args.resource, measure=args.measure,
                                     column=args.column)
    options = lens_service.options_for(dataset, edition=args.edition,
                                       classification=args.classes)
    result = lens_service.dataset_lens(dataset, version, measure=args.measure,
                                       column=args.column, options=options,
                                       filters=lens_service.asked_filters(args.where),
                                       authority=args.authority)
    return version, result


def _print_csv(flat: dict, name: str) -> int:
    """One of the lens's tables (``commonground.lens.tables``) as CSV; the exit status."""
    from commonground.lens.tables import write_csv

    if name not in flat:
        print(f"error: unknown table {name!r}; choose from {', '.join(flat)}", file=sys.stderr)
        return EXIT_USAGE
    columns, rows = flat[name]
    write_csv(sys.stdout, columns, rows)
    return 0


def _print_summary(dataset, version, result: dict, by: str) -> None:
    """The plain-words summary, the deprivation table ``by`` asks for, the units and the
    largest neighbourhood."""
    print(f"{dataset.title} — version {version.number}")
    if result.get("authority"):
        print(f"Covers {result['authority']['sentence']} (without --authority: the whole package)")
    used = result["measure"].get("filters")
    print(f"Rows counted: {'; '.join(used) if used else 'all'}\n")
    for sentence in result["words"]:
        print(f"  {sentence}")
    table = result.get("deprivation", {}).get("tables", {}).get(by)
    if table:
        _print_group_table(table, result["deprivation"]["edition"]["title"])
        _print_slope(table)
    _print_units(result.get("units") or {})
    _print_influence(result.get("influence"))


def _print_group_table(table: dict, edition: str) -> None:
    """One deprivation grouping's rows: areas, residents, value and intervals."""
    print(f"\n{table['label'][:1].upper() + table['label'][1:]} ({edition}), {table['unit']}:")
    phe = any("phe_low" in r for r in table["rows"])
    print(f"  {'group':<30} {'areas':>6} {'residents':>10} {'value':>10}  "
          f"{'95% interval':<20}" + ("  PHE's 95% (rows independent)" if phe else ""))
    for r in table["rows"]:
        value = "hidden" if r["suppressed"] else _n(r["value"])
        interval = "" if r["low"] is None else f"{_n(r['low'])} to {_n(r['high'])}"
        plain = "" if r.get("phe_low") is None else \
            f"  {_n(r['phe_low'])} to {_n(r['phe_high'])}"
        print(f"  {r['label']:<30} {r['areas']:>6} {_n(r['residents']):>10} {value:>10}  "
              f"{interval:<20}{plain}")


def _print_slope(table: dict) -> None:
    """The grouping's slope and concentration indices with their notes, if it has them."""
    s = table.get("slope")
    if not (s and s.get("sii") is not None):
        return
    print(f"\n  Slope index of inequality {_n(s['sii'])} ({_n(s['sii_low'])} to "
          f"{_n(s['sii_high'])}); relative index {_n(s['rii'])} ({_n(s['rii_low'])} to "
          f"{_n(s['rii_high'])}); concentration index {_n(s['concentration'])}")
    for note in (s.get("transform_reason"), s.get("rii_note")):
        if note:
            print(f"  ({note[:1].upper() + note[1:]}.)")
    for g in s.get("left_out") or []:
        print(f"  Left out of the fit: {g['label']} ({g['reason']})")
    p = table.get("slope_phe") or {}
    if p.get("sii_low") is not None:
        print(f"  From PHE's intervals (every row an independent event): SII "
              f"{_n(p['sii'])} ({_n(p['sii_low'])} to {_n(p['sii_high'])})")


def _print_units(units: dict) -> None:
    """Rows, sites and the scale of the counting units, when the lens gives them."""
    if units.get("sites") is None:
        return
    print(f"\nUnits: {units['rows']:,} rows at {units['sites']:,} sites "
          f"({units['sites_rule']} are one site; the largest has {units['largest_site']}); "
          f"scale φ {units['dispersion']:.3g} within {units['dispersion_within']}, "
          f"about {units['effective_points']:,} independent points")


def _print_influence(influence: dict | None) -> None:
    """The neighbourhood with the largest share of the measure, if there is one."""
    if not influence:
        return
    print(f"Largest neighbourhood: {influence['name']} ({influence['code']}), "
          f"{100 * influence['share']:.0f}% of the measure"
          + (" — more than a fifth: see the sentence above" if influence["flagged"]
             else ""))


def _n(x) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
