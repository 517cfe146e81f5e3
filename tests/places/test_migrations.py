"""Upgrading a hub that already holds a loaded city keeps its figures."""

from __future__ import annotations

import os
import subprocess
import sys

UPGRADE = r'''
import django, shapely
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

before = [("places", "0001_initial")]
executor = MigrationExecutor(connection)
executor.migrate(before)
old = MigrationExecutor(connection).loader.project_state(before).apps
source = old.get_model("places", "DataSource").objects.create(
    name="census", title="Census", role="census", geography="lsoa21", path="c.csv")
Area, Indicator = old.get_model("places", "Area"), old.get_model("places", "Indicator")
IndicatorValue = old.get_model("places", "IndicatorValue")
areas = {code: Area.objects.create(geography="lsoa21", code=code, name=code, source=source,
                                   geometry_wkb=shapely.to_wkb(shapely.box(0, 0, 1, 1)), easting=0, northing=0, area_m2=1)
         for code in ("E01000002", "E01000001", "E01000003")}
residents = Indicator.objects.create(key="census.residents", source=source, column="residents",
                                     label="Residents", topic="t", kind="total", unit="people",
                                     polarity="neutral", definition="d")
rural = Indicator.objects.create(key="census.rural", source=source, column="rural", label="Rural",
                                 topic="t", kind="category", unit="category", polarity="neutral",
                                 definition="d")
IndicatorValue.objects.create(indicator=residents, area=areas["E01000001"], period="2021", value=1500)
IndicatorValue.objects.create(indicator=residents, area=areas["E01000003"], period="2021", value=1700)
IndicatorValue.objects.create(indicator=rural, area=areas["E01000002"], period="2021", text="Urban")

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
from commonground.places.models import Indicator, IndicatorTable
table = IndicatorTable.objects.get(geography="lsoa21")
print(table.codes, table.keys)
print(table.values_of("census.residents"), table.values_of("census.rural"))
print(sorted(Indicator.objects.values_list("period", flat=True)))
'''


def test_a_hub_loaded_before_values_became_one_matrix_per_geography_keeps_them(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "commonground.settings", "DEBUG": "1"}
    done = subprocess.run([sys.executable, "-c", UPGRADE], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    codes, values, periods = done.stdout.strip().splitlines()
    assert codes == "['E01000001', 'E01000002', 'E01000003'] ['census.residents', 'census.rural']"
    assert values == "{'E01000001': 1500.0, 'E01000003': 1700.0} {'E01000002': 'Urban'}"
    assert periods == "['2021', '2021']"
