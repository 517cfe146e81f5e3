"""The questions a resident may answer about themselves: each optional, each with "prefer not
to say", and each answer one of a few categories that match a Census 2021 table of the city,
so the people who take part can be set against the people who live here.

Categories are Census 2021's high-level ones (ONS, Census 2021 topic summaries: TS007A age in
six bands (adults only here), TS008 sex, TS021 ethnic group (five groups), TS038 disability
under the Equality Act, TS054 tenure of the household). ``census`` lists the column labels of
the city's table that make up each category: the table is found by those labels (the
manifest's tables as the lens reads them), never by its name.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The stored answer for "prefer not to say"; a blank answer is stored as "".
NO_SAY = "no-say"


@dataclass(frozen=True)
class Category:
    value: str
    label: str
    census: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    field: str
    text: str
    categories: tuple[Category, ...]
    universe: str  # what the city's shares count: "residents aged 16 and over", "households"
    census_other: tuple[str, ...] = ()  # columns of the table outside the question (children)

    def labels(self) -> dict[str, str]:
        return {c.value: c.label for c in self.categories}


QUESTIONS = (
    Question("age_band", "How old are you?", (
        Category("16-24", "16 to 24", ("Aged 16 to 24 years",)),
        Category("25-34", "25 to 34", ("Aged 25 to 34 years",)),
        Category("35-49", "35 to 49", ("Aged 35 to 49 years",)),
        Category("50-64", "50 to 64", ("Aged 50 to 64 years",)),
        Category("65+", "65 or over", ("Aged 65 years and over",)),
    ), "residents aged 16 and over", census_other=("Aged 15 years and under",)),
    Question("sex", "What is your sex?", (
        Category("female", "Female", ("Female",)),
        Category("male", "Male", ("Male",)),
    ), "residents"),
    Question("ethnic_group", "What is your ethnic group?", (
        Category("asian", "Asian, Asian British or Asian Welsh",
                 ("Asian, Asian British or Asian Welsh",)),
        Category("black", "Black, Black British, Black Welsh, Caribbean or African",
                 ("Black, Black British, Black Welsh, Caribbean or African",)),
        Category("mixed", "Mixed or multiple ethnic groups",
                 ("Mixed or Multiple ethnic groups",)),
        Category("white", "White", ("White",)),
        Category("other", "Another ethnic group", ("Other ethnic group",)),
    ), "residents"),
    Question("disability", "Are you disabled? (a condition or illness that limits your "
                           "day-to-day activities)", (
        Category("yes", "Disabled", ("Disabled under the Equality Act",)),
        Category("no", "Not disabled", ("Not disabled under the Equality Act",)),
    ), "residents"),
    Question("tenure", "Does your household own or rent your home?", (
        Category("owned", "Owns it (outright or with a mortgage)",
                 ("Owned: Owns outright", "Owned: Owns with a mortgage or loan")),
        Category("shared", "Shared ownership", ("Shared ownership: Shared ownership",)),
        Category("social", "Rents from the council or a housing association",
                 ("Social rented: Rents from council or Local Authority",
                  "Social rented: Other social rented")),
        Category("private", "Rents from a private landlord",
                 ("Private rented: Private landlord or letting agency",
                  "Private rented: Other private rented")),
        Category("free", "Lives rent free", ("Lives rent free",)),
    ), "households"),
)

BY_FIELD = {q.field: q for q in QUESTIONS}
FIELDS = tuple(BY_FIELD)
