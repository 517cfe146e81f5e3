"""Plain English for published categories, and their natural order.

Census 2021 tables arrive with their categories in whatever order the file has (often
alphabetical: "+1, +2, −1, −2, 0", "four, one, three, two") and with ONS's wording
("Social rented: Rents from council or Local Authority"). This module gives each known
category a plain name a reader of about 11 understands, a short phrase for sentences
("rent from the council") and its place in ONS's published order; the technical name is
kept by the caller and shown on demand.

Sources of the orders and meanings: ONS, *Census 2021 dictionary* (2022), the variables
tenure, accommodation type, car or van availability, occupancy rating for bedrooms,
household deprivation (four dimensions: employment, education, health and disability,
housing), general health, disability, proficiency in English, ethnic group, religion, sex,
sexual orientation and NS-SeC; MHCLG, *English Indices of Deprivation 2025: technical
report* (domains and sub-domains); ONS, *2021 Rural Urban Classification* (2025).

Pure Python: no Django, no NumPy. A category not listed keeps its published wording; a
table whose categories are not all listed is ordered by the number each carries when every
one carries one ("No cars" = 0, "1 car", "+2 or more", "four dimensions"), and otherwise
keeps the file's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Plain:
    """A category in plain words: ``name`` for lists and tables, ``phrase`` (or "") to end a
    sentence whose subject is the table's unit ("households here …"), ``rank`` its place in
    the published order."""

    name: str
    phrase: str = ""
    rank: int = 0


# Each classification in ONS's published order: (technical wording, plain name, phrase).
_CLASSIFICATIONS: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (  # tenure (households)
        ("Owned: Owns outright", "Own their home outright", "own their home outright"),
        ("Owned: Owns with a mortgage or loan", "Own their home with a mortgage or loan",
         "are buying their home with a loan"),
        ("Shared ownership: Shared ownership", "Shared ownership (part buy, part rent)",
         "part buy and part rent their home"),
        ("Social rented: Rents from council or Local Authority", "Rent from the council",
         "rent from the council"),
        ("Social rented: Other social rented", "Rent from a housing association or other social landlord",
         "rent from a housing group or trust"),
        ("Private rented: Private landlord or letting agency", "Rent from a private landlord or agent",
         "rent from a private landlord"),
        ("Private rented: Other private rented", "Rent privately in another way (for example from family)", ""),
        ("Lives rent free", "Live rent free", "live rent free"),
    ),
    (  # accommodation type (households)
        ("Detached", "Detached house", "live in a detached house"),
        ("Semi-detached", "Semi-detached house", "live in a semi-detached house"),
        ("Terraced", "Terraced house", "live in a terraced house"),
        ("In a purpose-built block of flats or tenement", "Flat in a block built as flats",
         "live in a block of flats"),
        ("Part of a converted or shared house, including bedsits", "Flat or room in a converted or shared house",
         "live in a flat or room in a shared house"),
        ("Part of another converted building, for example, former school, church or warehouse",
         "Flat in another converted building (a former school, church or warehouse)", ""),
        ("In a commercial building, for example, in an office building, hotel or over a shop",
         "Home in a shop, office or hotel building", ""),
        ("A caravan or other mobile or temporary structure", "Caravan or other mobile home",
         "live in a caravan or other mobile home"),
    ),
    (  # car or van availability (households)
        ("No cars or vans in household", "No car or van", "have no car or van"),
        ("1 car or van in household", "One car or van", "have one car or van"),
        ("2 cars or vans in household", "Two cars or vans", "have two cars or vans"),
        ("3 or more cars or vans in household", "Three or more cars or vans", "have three or more cars or vans"),
    ),
    (  # occupancy rating for bedrooms (households), from the most crowded
        ("-2 or less (overcrowded)", "Two or more bedrooms too few", "have two or more bedrooms too few"),
        ("-1 (overcrowded)", "One bedroom too few", "have one bedroom too few"),
        ("0 (ideal)", "Just the bedrooms they need", "have just the bedrooms they need"),
        ("+1 (under-occupied)", "One spare bedroom", "have one spare bedroom"),
        ("+2 or more (under-occupied)", "Two or more spare bedrooms", "have two or more spare bedrooms"),
    ),
    (  # household deprivation: employment, education, health and disability, housing
        ("Household is not deprived in any dimension", "In need in none of the four ways counted", ""),
        ("Household is deprived in one dimension", "In need in one of four ways (work, school, health, housing)",
         "are in need in one of four ways"),
        ("Household is deprived in two dimensions", "In need in two of the four ways",
         "are in need in two of four ways"),
        ("Household is deprived in three dimensions", "In need in three of the four ways",
         "are in need in three of four ways"),
        ("Household is deprived in four dimensions", "In need in all four ways", "are in need in all four ways"),
    ),
    (  # general health (residents)
        ("Very good health", "Very good health", "say their health is very good"),
        ("Good health", "Good health", "say their health is good"),
        ("Fair health", "Fair health", "say their health is fair"),
        ("Bad health", "Bad health", "say their health is bad"),
        ("Very bad health", "Very bad health", "say their health is very bad"),
    ),
    (  # disability (residents)
        ("Disabled under the Equality Act", "Disabled (as the law defines it)", "are disabled"),
        ("Not disabled under the Equality Act", "Not disabled", ""),
    ),
    (  # proficiency in English (residents aged 3 and over)
        ("Main language is English (English or Welsh in Wales)", "English is their main language",
         "speak English as their main language"),
        ("Main language is not English (English or Welsh in Wales): Can speak English very well",
         "Another main language, and speak English very well", ""),
        ("Main language is not English (English or Welsh in Wales): Can speak English well",
         "Another main language, and speak English well", ""),
        ("Main language is not English (English or Welsh in Wales): Cannot speak English well",
         "Another main language, and do not speak English well", "do not speak English well"),
        ("Main language is not English (English or Welsh in Wales): Cannot speak English",
         "Another main language, and cannot speak English", "cannot speak English"),
    ),
    (  # central heating (households)
        ("No central heating", "No central heating", "have no central heating"),
        ("Mains gas only", "Mains gas only", "heat their home with mains gas only"),
        ("Tank or bottled gas only", "Gas from a tank or bottles only", ""),
        ("Electric only", "Electric only", "heat their home with electric only"),
        ("Oil only", "Oil only", "heat their home with oil only"),
        ("Wood only", "Wood only", ""),
        ("Solid fuel only", "Solid fuel (such as coal) only", ""),
        ("Renewable energy only", "Renewable energy only (such as a heat pump)", ""),
        ("District or communal heat networks only", "Heat network only (heat shared by a block or area)",
         "get their heat from a shared heat network"),
        ("Other central heating only", "Other central heating only", ""),
        ("Two or more types of central heating (not including renewable energy)",
         "Two or more kinds, none renewable", ""),
        ("Two or more types of central heating (including renewable energy)",
         "Two or more kinds, one of them renewable", ""),
    ),
    (  # NS-SeC (residents aged 16 and over)
        ("L1, L2 and L3 Higher managerial, administrative and professional occupations",
         "Senior managers and professionals", ""),
        ("L4, L5 and L6 Lower managerial, administrative and professional occupations",
         "Junior managers and professionals", ""),
        ("L7 Intermediate occupations", "Office, admin and similar jobs", ""),
        ("L8 and L9 Small employers and own account workers", "Run a small firm or work for themselves", ""),
        ("L10 and L11 Lower supervisory and technical occupations", "Supervisors and technical jobs", ""),
        ("L12 Semi-routine occupations", "Semi-routine jobs (such as care or shop work)", ""),
        ("L13 Routine occupations", "Routine jobs (such as cleaning, driving or factory work)", ""),
        ("L14.1 and L14.2 Never worked and long-term unemployed", "Never worked, or out of work for a long time",
         "have never worked or have been out of work for a long time"),
        ("L15 Full-time students", "Full-time students", "are full-time students"),
    ),
    (  # ethnic group (residents), high-level categories
        ("Asian, Asian British or Asian Welsh", "Asian, Asian British or Asian Welsh", ""),
        ("Black, Black British, Black Welsh, Caribbean or African",
         "Black, Black British, Black Welsh, Caribbean or African", ""),
        ("Mixed or Multiple ethnic groups", "Mixed or multiple ethnic groups", ""),
        ("White", "White", ""),
        ("Other ethnic group", "Other ethnic group", ""),
    ),
    (  # religion (residents)
        ("No religion", "No religion", ""),
        ("Christian", "Christian", ""),
        ("Buddhist", "Buddhist", ""),
        ("Hindu", "Hindu", ""),
        ("Jewish", "Jewish", ""),
        ("Muslim", "Muslim", ""),
        ("Sikh", "Sikh", ""),
        ("Other religion", "Other religion", ""),
    ),
    (  # sexual orientation (residents aged 16 and over)
        ("Straight or Heterosexual", "Straight or heterosexual", ""),
        ("Gay or Lesbian", "Gay or lesbian", ""),
        ("Bisexual", "Bisexual", ""),
        ("All other sexual orientations", "Another sexual orientation", ""),
    ),
    (  # Indices of Deprivation: the overall index, the seven domains, sub-domains, supplements
        ("Index of Multiple Deprivation", "Deprivation overall", ""),
        ("Income", "Low income", "income"),
        ("Employment", "Being out of work", "work"),
        ("Education, skills and training", "Education and skills", "skills"),
        ("Health deprivation and disability", "Health and disability", "health"),
        ("Crime", "Crime", "crime"),
        ("Barriers to housing and services", "Getting a home and reaching services", "housing and services"),
        ("Living environment", "State of homes and the area around them", "the state of homes and streets"),
        ("Children and young people (education sub-domain)", "Children's education", ""),
        ("Adult skills (education sub-domain)", "Adult skills", ""),
        ("Geographical barriers (barriers sub-domain)", "Distance to shops, school and doctor", ""),
        ("Wider barriers (barriers sub-domain)", "Cost of homes, crowding and homelessness", ""),
        ("Indoors living environment (sub-domain)", "State of homes", ""),
        ("Outdoors living environment (sub-domain)", "Air and road safety", ""),
        ("Income deprivation affecting children", "Children in low-income homes", ""),
        ("Income deprivation affecting older people", "Older people on low incomes", ""),
    ),
    (  # classifications whose published label is a column name
        ("Classification", "Type of place", ""),
        ("Ruc", "Urban or rural", ""),
    ),
    (  # fuel poverty (DESNZ's modelled estimates, households)
        ("Fuel poor households", "In fuel poverty: a low income and a home costly to heat", ""),
    ),
)

def _key(label: str) -> str:
    return " ".join(str(label).replace("−", "-").split()).casefold()


GLOSSARY: dict[str, Plain] = {}
for _n, _group in enumerate(_CLASSIFICATIONS):
    for _k, (_technical, _name, _phrase) in enumerate(_group):
        GLOSSARY.setdefault(_key(_technical), Plain(_name, _phrase, _n * 100 + _k))
#: "Not answered" ends any table it is in (religion, sexual orientation).
GLOSSARY["not answered"] = Plain("Did not answer", "", 10**6)

_AGE = re.compile(r"aged (\d+)(?: years)? (to \d+|and under|and over)(?: years)?", re.I)


def plain(label: str) -> Plain:
    """The plain words for a published category or domain ``label`` (its own words when
    none are known). Age bands are read, not listed: "Aged 16 to 24 years" → "Aged 16 to 24"."""
    found = GLOSSARY.get(_key(label))
    if found:
        return found
    age = _AGE.fullmatch(str(label).strip())
    if age:
        low, rest = age.groups()
        words = {"and under": "or under", "and over": "or over"}.get(rest.lower(), rest)
        return Plain(f"Aged {low} {words}", f"are aged {low} {words}")
    return Plain(str(label))


def plain_name(label: str) -> str:
    return plain(label).name


_NUMBER_WORDS = {"no": 0, "none": 0, "not": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
                 "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_SIGNED = re.compile(r"\s*([+\-−]?)\s*(\d+(?:\.\d+)?)")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def category_number(label: str) -> float | None:
    """The number a category carries: a leading signed number ("-2 or less" → -2, "+1" → 1),
    else the first number in it ("Aged 16 to 24" → 16), else the first number word ("No
    cars" → 0, "deprived in four dimensions" → 4; "not" counts as none); None without one."""
    text = str(label)
    signed = _SIGNED.match(text)
    if signed:
        sign, value = signed.groups()
        return -float(value) if sign in "-−" and sign else float(value)
    digits = _DIGITS.search(text)
    if digits:
        return float(digits.group())
    for word in re.findall(r"[a-z]+", text.casefold()):
        if word in _NUMBER_WORDS:
            return float(_NUMBER_WORDS[word])
    return None


def natural_order(labels: list[str]) -> list[str]:
    """``labels`` (a table's categories) in their natural order: ONS's published order when
    every one is a known category, else by the number each carries when every one carries a
    different one, else as given."""
    labels = list(labels)
    known = [GLOSSARY.get(_key(label)) for label in labels]
    ranks = [k.rank for k in known if k is not None]
    if labels and len(ranks) == len(labels):
        return [label for _, label in sorted(zip(ranks, labels, strict=True),
                                              key=lambda pair: pair[0])]
    numbers = [n for n in (category_number(label) for label in labels) if n is not None]
    if labels and len(numbers) == len(labels) and len(set(numbers)) == len(numbers):
        return [label for _, label in sorted(zip(numbers, labels, strict=True), key=lambda pair: pair[0])]
    return labels


#: A table's topic in plain words, found by a word of its published title (first match wins).
TOPICS: tuple[tuple[str, str], ...] = (
    (r"sexual orientation", "Sexual orientation"),
    (r"fuel poverty", "Fuel poverty (a modelled estimate)"),
    (r"household deprivation|households by deprivation", "Households in need"),
    (r"tenure", "Owning or renting a home"),
    (r"accommodation", "Kind of home"),
    (r"car or van|cars? availability", "Cars and vans"),
    (r"occupancy", "Bedrooms: too few or spare"),
    (r"ns-?sec|social class", "Kind of work (social class)"),
    (r"proficiency in english|english proficiency", "Speaking English"),
    (r"general health", "Health"),
    (r"disability", "Disability"),
    (r"central heating", "Heating"),
    (r"ethnic", "Ethnic group"),
    (r"religion", "Religion"),
    (r"\bsex\b", "Sex"),
    (r"population estimates", "Age (population estimates)"),
    (r"\bage\b", "Age"),
    (r"deprivation", "Deprivation"),
)


def topic(title: str) -> str:
    """A published table's title as a plain topic: "Census 2021 TS054: tenure" → "Owning or
    renting a home"; a title with no known topic keeps its own words."""
    for pattern, name in TOPICS:
        if re.search(pattern, title or "", re.I):
            return name
    return title
