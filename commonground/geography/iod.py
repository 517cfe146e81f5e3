"""What the English Indices of Deprivation columns mean.

Source: MHCLG, *English Indices of Deprivation 2019: technical report* (Sept 2019) and
*English Indices of Deprivation 2025: statistical release* (Oct 2025). Rank 1 is the most
deprived LSOA in England; decile 1 is the most deprived 10% of LSOAs nationally. Scores:
higher means more deprived. The Income and Employment domain scores are proportions of the
relevant population (0 to 1); the other domain scores and the IMD score are composite scores
with no natural unit.
"""

from __future__ import annotations

#: Number of LSOAs ranked in England in each edition (rank N = least deprived).
#: IoD2019: 32,844 LSOAs (2011 boundaries); IoD2025: 33,755 LSOAs (2021 boundaries).
NATIONAL_LSOAS: dict[int, int] = {2015: 32844, 2019: 32844, 2025: 33755}

#: Domain and sub-domain labels by column prefix, as published.
DOMAINS: dict[str, str] = {
    "imd": "Index of Multiple Deprivation",
    "income": "Income",
    "employment": "Employment",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability",
    "crime": "Crime",
    "housing_and_access": "Barriers to housing and services",
    "housing_and_services": "Barriers to housing and services",
    "environment": "Living environment",
    "children_and_young_people": "Children and young people (education sub-domain)",
    "adult_skills": "Adult skills (education sub-domain)",
    "geographical_barriers": "Geographical barriers (barriers sub-domain)",
    "wider_barriers": "Wider barriers (barriers sub-domain)",
    "indoors": "Indoors living environment (sub-domain)",
    "outdoors": "Outdoors living environment (sub-domain)",
    "idaci": "Income deprivation affecting children",
    "idaopi": "Income deprivation affecting older people",
}

#: Domains whose score is a proportion of people (0 to 1) rather than a composite score.
PROPORTION_DOMAINS = frozenset({"income", "employment", "idaci", "idaopi"})

MEASURES = ("score", "rank", "decile")


def split_column(column: str) -> tuple[str, str] | None:
    """``"housing_and_services_rank"`` → ``("housing_and_services", "rank")``; else None."""
    lowered = column.lower()
    for measure in MEASURES:
        suffix = "_" + measure
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)], measure
    return None


def domain_label(domain: str) -> str:
    return DOMAINS.get(domain, domain.replace("_", " ").capitalize())


def unit_for(domain: str, measure: str, edition: int | None) -> str:
    if measure == "rank":
        total = NATIONAL_LSOAS.get(edition or 0)
        return f"rank in England, 1 = most deprived of {total:,}" if total else "rank in England, 1 = most deprived"
    if measure == "decile":
        return "national decile, 1 = most deprived 10%"
    if domain in PROPORTION_DOMAINS:
        return "proportion of people (0 to 1), higher = more deprived"
    return "score, higher = more deprived"
