"""A PVGIS typical-meteorological-year file as an optional, better input.

The files here are written in PVGIS's CSV layout (as its TMY tool downloads them) from the
SAP-shaped year, so reading one back must reproduce the SAP-based yield.
"""

from __future__ import annotations

import pytest

from commonground.solar import (
    MILTON_KEYNES,
    SolarInputError,
    read_tmy,
    roof_from_inputs,
    sap_weather,
    specific_yield,
)


def write_pvgis_tmy_csv(path, weather_data, latitude, longitude, elevation):
    """PVGIS TMY CSV: three location lines, the irradiance time offset, the month/year table,
    a header, 8,760 hourly rows (time as YYYYMMDD:HHMM UTC), then variable descriptions."""
    lines = [
        f"Latitude (decimal degrees): {latitude:.3f}",
        f"Longitude (decimal degrees): {longitude:.3f}",
        f"Elevation (m): {elevation:.1f}",
        "Irradiance Time Offset (h): 0.5",
        "month,year",
        *[f"{m},{2010 + m}" for m in range(1, 13)],
        "time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP",
    ]
    for stamp, row in weather_data.iterrows():
        lines.append(
            f"{stamp:%Y%m%d:%H%M},{row.temp_air:.2f},80.0,{row.ghi:.4f},{row.dni:.4f},"
            f"{row.dhi:.4f},300.0,{row.wind_speed:.2f},200.0,101325.0"
        )
    lines += [
        "T2m: 2-m air temperature (degree Celsius)",
        "G(h): Global irradiance on the horizontal plane (W/m2)",
        "Gb(n): Beam/direct irradiance on a plane always normal to sun rays (W/m2)",
        "Gd(h): Diffuse irradiance on the horizontal plane (W/m2)",
        "WS10m: 10-m total wind speed (m/s)",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


@pytest.fixture(scope="module")
def mk_tmy(tmp_path_factory):
    path = tmp_path_factory.mktemp("tmy") / "tmy_52.040_-0.760_2005_2020.csv"
    return write_pvgis_tmy_csv(path, sap_weather(MILTON_KEYNES).data, 52.04, -0.76, 100.0)


def test_reads_a_pvgis_csv(mk_tmy):
    weather = read_tmy(mk_tmy)
    assert len(weather.data) == 8760
    assert (weather.latitude, weather.longitude) == (52.04, -0.76)
    assert "PVGIS" in weather.source
    assert str(weather.data.index.tz) == "UTC"


def test_tmy_path_reproduces_the_sap_path(mk_tmy):
    """Same hourly weather by another route (file -> pvlib reader -> no decomposition):
    annual yield within 0.5%, plane irradiation within 0.5%."""
    roof = roof_from_inputs(20, "SE", 35)
    from_file = specific_yield(roof, MILTON_KEYNES, read_tmy(mk_tmy))
    from_sap = specific_yield(roof, MILTON_KEYNES)
    assert from_file.annual_kwh_per_kwp == pytest.approx(from_sap.annual_kwh_per_kwp, rel=0.005)
    assert from_file.annual_plane_kwh_per_m2 == pytest.approx(
        from_sap.annual_plane_kwh_per_m2, rel=0.005
    )
    assert "PVGIS" in from_file.weather_source


def test_a_file_for_somewhere_else_is_refused(tmp_path):
    path = write_pvgis_tmy_csv(
        tmp_path / "turin.csv", sap_weather(MILTON_KEYNES).data, 45.0, 8.0, 250.0
    )
    with pytest.raises(SolarInputError, match="weather_file.*45.000 N"):
        specific_yield(roof_from_inputs(20, "S"), MILTON_KEYNES, read_tmy(path))


def test_a_file_that_is_not_a_tmy_is_refused(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("this is not weather\n")
    with pytest.raises(SolarInputError, match="weather_file"):
        read_tmy(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(SolarInputError, match="weather_file: no such file"):
        read_tmy(tmp_path / "absent.csv")
