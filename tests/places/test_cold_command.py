"""A command run once pays only for what it uses: starting Django (loading every app, its
models, admin and registrations) imports no numerical or geometry library, so a command that
needs none of them does not wait for them (NumPy, SciPy, shapely and pyproj cost about 0.3 s
of a cold start that should stay under 1 s on England)."""

import json
import os
import subprocess
import sys

HEAVY = ("numpy", "scipy", "shapely", "pyproj", "pandas", "duckdb", "pyarrow", "geopandas", "pvlib",
         "hplib")
#: What the JSON API's framework brings (about 0.15 s): the API needs it, a command does not.
API_FRAMEWORK = ("ninja", "pydantic", "django.test", "jinja2")


def imported_after(code: str, heavy=HEAVY) -> list[str]:
    """The libraries of ``heavy`` a fresh Python has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {tuple(heavy)!r} if m in sys.modules]))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "commonground.settings", "DEBUG": "1"}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(run.stdout.splitlines()[-1])


def test_starting_django_imports_no_numerical_or_geometry_library():
    assert imported_after("import django; django.setup()") == []


def test_starting_django_imports_not_the_apis_framework():
    """The API docs page takes django-ninja's template and static files from settings
    (``NINJA_DIR``), not by making it an installed app (tests/test_api_docs_offline.py)."""
    assert imported_after("import django; django.setup()", API_FRAMEWORK) == []


def test_the_command_line_and_a_search_of_the_database_import_none_either():
    """``commonground places search`` reads names from the database: it needs none of them
    (building the command line's parser included: the lens lists its groupings)."""
    assert imported_after("import django; django.setup()\n"
                          "from commonground import cli; cli._parser()\n"
                          "from commonground.places import lookup, records, search") == []


def test_a_command_starts_without_the_collector_scanning_what_start_up_makes():
    """Starting (Django's apps, models and admin, the parser) makes some 100,000 objects that
    live as long as the command: they are made with the cyclic garbage collector paused, then
    frozen (``gc.freeze``) so that no later collection scans them again (0.1-0.2 s of a cold
    command's CPU). The command itself runs with the collector on."""
    probe = ("import gc, json\nfrom commonground import cli\n"
             "collections = []\ngc.callbacks.append(lambda phase, info: collections.append(phase))\n"
             "seen = {}\n"
             "def command(args):\n"
             "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(), "
             "collections=collections.count('start'))\n"
             "    return 0\n"
             "cli._COMMANDS['places'] = command\n"
             "cli.main(['places', 'search', 'Bletchley'])\nprint(json.dumps(seen))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "commonground.settings", "DEBUG": "1"}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    seen = json.loads(run.stdout.splitlines()[-1])
    assert seen["enabled"] and seen["collections"] == 0
    assert seen["frozen"] > 50_000



#: What a point lookup needs no more: its few boundaries are tested in plain Python
#: (``geography.wkb_contains``), its one point projected by pyproj alone (about 0.15 s).
NOT_FOR_A_POINT = ("numpy", "shapely", "scipy", "pandas", "duckdb", "pyarrow", "geopandas")


def test_a_point_lookup_from_the_command_line_imports_no_numpy_nor_shapely():
    """``commonground places lookup``'s own work, a point projected and tested against a
    boundary (``lookup._to_bng``, ``wkb_contains``), imports neither: only pyproj."""
    code = ("import django; django.setup()\nimport struct\n"
            "from commonground.places import lookup\nfrom commonground.geography import wkb_contains\n"
            "x, y = lookup._to_bng(-0.7594, 52.0406)\n"
            "ring = (x - 1, y - 1, x + 1, y - 1, x + 1, y + 1, x - 1, y + 1, x - 1, y - 1)\n"
            "square = struct.pack('<BIII10d', 1, 3, 1, 5, *ring)\n"
            "assert wkb_contains.intersects_xy(square, x, y)\n")
    assert imported_after(code, NOT_FOR_A_POINT + ("pyproj",)) == ["pyproj"]


def test_an_areas_heat_picture_from_the_command_line_imports_neither_pandas_nor_pvlib():
    """``commonground energy heat`` finds the homes and tenure tables by their Census categories
    (``geography.census_homes``), not through the solar package, whose pvlib brings pandas
    (about 0.5 s of the command's CPU on England)."""
    code = ("import django; django.setup()\n"
            "from commonground.energy.heat_picture import NoHeatData, area_picture, find_geography\n")
    assert imported_after(code, ("pandas", "pvlib")) == []
