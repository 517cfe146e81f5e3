"""British National Grid transforms: long arrays are cut into slices on threads, same answer."""

import numpy as np
from pyproj import Transformer

from commonground.geography import projection
from commonground.geography.projection import bng_to_lonlat, lonlat_to_bng


def _points(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-5.5, 1.5, n), rng.uniform(50.0, 55.5, n)  # England and Wales


def test_long_arrays_give_what_one_transformer_gives_on_the_whole_array():
    lon, lat = _points(projection.PARALLEL_MIN_POINTS * 2 + 17)  # uneven slices
    whole = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    expected_x, expected_y = whole.transform(lon, lat)
    x, y = lonlat_to_bng(lon, lat)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)


def test_short_arrays_and_single_points_are_transformed_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(projection, "_thread_pool", lambda: (_ for _ in ()).throw(
        AssertionError("a short array must not use the pool")))
    x, y = lonlat_to_bng([-0.7594], [52.0406])  # Milton Keynes
    assert 480_000 < x[0] < 490_000 and 230_000 < y[0] < 240_000


def test_there_and_back_again_within_a_centimetre():
    lon, lat = _points(projection.PARALLEL_MIN_POINTS + 1)
    back_lon, back_lat = bng_to_lonlat(*lonlat_to_bng(lon, lat))
    # 1e-7 degrees is about a centimetre (PROJ's inverse Helmert step is not exact)
    assert np.abs(back_lon - lon).max() < 1e-7 and np.abs(back_lat - lat).max() < 1e-7


def test_missing_coordinates_give_no_coordinates_and_leave_the_others_alone():
    lon, lat = _points(projection.PARALLEL_MIN_POINTS + 5)
    lon[::1000] = np.nan
    x, y = lonlat_to_bng(lon, lat)
    assert not np.isfinite(x[::1000]).any()  # PROJ answers inf
    assert np.isfinite(np.delete(x, np.s_[::1000])).all()
