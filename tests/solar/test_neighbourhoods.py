"""Own-roof solar per neighbourhood: houses × owner share, everyone else shut out."""

from __future__ import annotations

import numpy as np
import pytest

from commonground.solar.neighbourhoods import roof_access

ACC = ("Detached", "In a purpose-built block of flats or tenement", "Semi-detached", "Terraced")
TEN = ("Owned: Owns outright", "Owned: Owns with a mortgage or loan",
       "Private rented: Private landlord or letting agency", "Social rented: Other social rented")


def test_a_hand_checked_neighbourhood():
    # 100 households: 60 in houses (20 + 30 + 10), 40 in flats; 50 of 100 own their home
    r = roof_access(ACC, [[20, 40, 30, 10]], TEN, [[30, 20, 40, 10]], [250])
    assert r.houses[0] == 60 and r.flats[0] == 40 and r.owner_share[0] == pytest.approx(0.5)
    assert r.own_roof[0] == pytest.approx(30)  # 60 houses × 0.5 owners
    assert r.shut_out[0] == pytest.approx(70) and r.shut_out_share[0] == pytest.approx(0.7)
    assert r.residents_shut_out[0] == pytest.approx(70 * 2.5)


def test_all_flats_or_all_renters_means_everyone_is_shut_out():
    r = roof_access(ACC, [[0, 80, 0, 0], [50, 0, 0, 0]], TEN, [[80, 0, 0, 0], [0, 0, 50, 0]],
                    [160, 120])
    assert np.allclose(r.shut_out_share, [1.0, 1.0])


def test_tables_without_the_needed_categories_are_refused():
    with pytest.raises(ValueError, match="Detached"):
        roof_access(("Flat",), [[1]], TEN, [[1, 0, 0, 0]], [1])
    with pytest.raises(ValueError, match="Owned"):
        roof_access(ACC, [[1, 1, 1, 1]], ("Rented",), [[4]], [4])
