"""Public Health England's own test figures (PHEindicatormethods 2.1.0), reproduced.

The expected values are copied as data from the package's test workbooks into
``phe_reference/*.csv`` (see its README for the source and licence). Everything that is not
simulated must agree to 1e-9; Monte Carlo limits within the package's own test tolerance
(``testSII.R``: ``tolerance = 0.05``, relative), with the same number of repetitions as the
published figures.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from commonground.lens import stats

pytestmark = pytest.mark.filterwarnings("error")

HERE = Path(__file__).parent / "phe_reference"
EXACT = 1e-9  # relative, for figures that are not simulated
MONTE_CARLO = 0.05  # testSII.R's tolerance for simulated limits


def _read(name: str) -> list[dict]:
    with open(HERE / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _num(text: str) -> float:
    return float(text) if text != "" else np.nan


def _same(actual, expected, rel=EXACT):
    """Equal to ``rel`` (relative), NaN where PHE has NA."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(expected)
    np.testing.assert_allclose(actual[ok], expected[ok], rtol=rel, atol=0)


def _close_as_testthat(actual: float, expected: float, tol: float = MONTE_CARLO) -> bool:
    """waldo's numeric comparison, per figure: relative to the expected value, or absolute
    when the expected value is itself smaller than the tolerance."""
    scale = abs(expected) if abs(expected) > tol else 1.0
    return abs(actual - expected) / scale < tol


# --- phe_rate: exact below 10 events, Byar's from 10 -------------------------------------------

RATES = _read("phe_rate.csv")


@pytest.mark.parametrize("row", RATES, ids=lambda r: f"{r['sheet']}-{r['Area']}-x{r['multiplier']}")
def test_rates_and_their_95_and_99_8_percent_limits_are_phes(row):
    count, pop, per = _num(row["Numerator"]), _num(row["Denominator"]), float(row["multiplier"])
    value, low, high = stats.rate_with_interval([count], [pop], per=per)
    _, low998, high998 = stats.rate_with_interval([count], [pop], per=per, confidence=0.998)
    _same(value, [_num(row["value"])])
    _same([low[0], high[0]], [_num(row["lower95_0cl"]), _num(row["upper95_0cl"])])
    if row["lower99_8cl"] or row["upper99_8cl"] or np.isnan(count):
        _same([low998[0], high998[0]], [_num(row["lower99_8cl"]), _num(row["upper99_8cl"])])


def test_the_published_rates_cross_from_exact_to_byar_at_ten_events():
    methods = {_num(r["Numerator"]): r["method"] for r in RATES if r["Numerator"] and r["value"]}
    assert {x for x, m in methods.items() if m == "Exact"} == {1.0, 2.0, 5.0}
    assert methods[10.0] == "Byars"  # the boundary: 10 events already use Byar's formula


# --- phe_proportion: Wilson -------------------------------------------------------------------


@pytest.mark.parametrize("row", _read("phe_proportion.csv"),
                         ids=lambda r: f"{r['sheet']}-{r['Area']}-x{r['multiplier']}")
def test_proportions_and_their_wilson_limits_are_phes(row):
    x, n, per = _num(row["Numerator"]), _num(row["Denominator"]), float(row["multiplier"])
    p, low, high = stats.proportion_with_interval([x], [n])
    _, low998, high998 = stats.proportion_with_interval([x], [n], confidence=0.998)
    _same(per * p, [_num(row["value"])])
    _same(per * np.array([low[0], high[0]]), [_num(row["lower95_0cl"]), _num(row["upper95_0cl"])])
    if row["lower99_8cl"]:
        _same(per * np.array([low998[0], high998[0]]),
              [_num(row["lower99_8cl"]), _num(row["upper99_8cl"])])


@pytest.mark.parametrize("row", _read("byars_wilson.csv"),
                         ids=lambda r: f"{r['method']}-{r['x']}-{r['confidence']}")
def test_byar_and_wilson_limits_are_phes(row):
    level = float(row["confidence"].rstrip("%")) / 100
    x = _num(row["x"])
    if row["method"] == "Byars":
        low, high = stats.byar_interval([x], confidence=level)
    else:
        low, high = stats.wilson_interval([x], [_num(row["n"])], confidence=level)
    _same(high, [_num(row["uppercl"])])
    if row["lowercl"]:
        _same(low, [_num(row["lowercl"])])
    else:  # PHE gives NA where Byar's cube goes negative (1 event at 99.8%); we give 0
        assert low[0] == 0.0


# --- phe_sii ----------------------------------------------------------------------------------

SII_INPUTS: dict[str, list[dict]] = {}
for _row in _read("phe_sii_inputs.csv"):
    SII_INPUTS.setdefault(_row["dataset"], []).append(_row)
SCALE = {"0": "linear", "1": "log", "2": "logit"}
SII_CASES = _read("phe_sii_expected.csv")


def _phe_sii(case: dict) -> stats.SlopeIndex:
    rows = sorted(SII_INPUTS[case["dataset"]], key=lambda r: int(r["Quantile"]))
    column = {k: np.array([float(r[k]) for r in rows]) for k in
              ("Population", "Value", "LowerCL", "UpperCL")}
    levels = [float(v) / 100 for v in case["confidence"].split(";")]
    return stats.slope_index(column["Value"], column["LowerCL"], column["UpperCL"],
                             column["Population"], scale=SCALE[case["value_type"]],
                             transform=case["transform"] == "TRUE",
                             draws=int(case["Repetitions"]), seed=int(case["RecordNo"]),
                             levels=levels)


@pytest.mark.parametrize("case", SII_CASES, ids=lambda c: f"{c['RecordNo']}-{c['dataset']}")
def test_sii_rii_and_intercept_are_phes_to_1e9(case):
    result = _phe_sii(case)
    assert result.sii == pytest.approx(float(case["sii"]), rel=EXACT)
    if case["rii"]:
        assert result.rii == pytest.approx(float(case["rii"]), rel=EXACT)
    if case["Intercept"]:
        assert result.intercept == pytest.approx(float(case["Intercept"]), rel=EXACT)
    assert result.transform == ("none" if case["transform"] == "FALSE"
                                else SCALE[case["value_type"]])


@pytest.mark.parametrize("case", [c for c in SII_CASES if c["sii_lowercl_1"]],
                         ids=lambda c: f"{c['RecordNo']}-{c['dataset']}")
def test_simulated_limits_are_phes_within_its_own_tolerance(case):
    result = _phe_sii(case)
    for i, lim in enumerate(result.limits, start=1):
        for name, column in (("sii_low", "sii_lowercl"), ("sii_high", "sii_uppercl"),
                             ("rii_low", "rii_lowercl"), ("rii_high", "rii_uppercl")):
            expected = case[f"{column}_{i}"]
            if expected:
                actual = getattr(lim, name)
                assert _close_as_testthat(actual, float(expected)), (name, lim.level, actual,
                                                                     expected)


def test_phe_cases_cover_rates_proportions_values_and_both_transforms():
    kinds = {(c["value_type"], c["transform"]) for c in SII_CASES}
    assert kinds == {("0", "FALSE"), ("1", "FALSE"), ("2", "FALSE"), ("1", "TRUE"),
                     ("2", "TRUE")}
    assert {c["confidence"] for c in SII_CASES} >= {"95", "99", "98", "95;99", "95;98"}
