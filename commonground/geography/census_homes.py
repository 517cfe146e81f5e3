"""The Census 2021 categories that pick out a home of one's own, in a module that imports
nothing, so the heat picture and the solar and energy pages find the accommodation (TS044)
and tenure (TS054) tables by them without loading pandas or pvlib.

Source: ONS, *Census 2021 dictionary* (2022), the variables accommodation type and tenure;
the labels are ONS's published wording (``plain`` gives each its plain name).
"""

#: Census 2021 TS044 accommodation types that are houses (a roof of one's own).
HOUSE_TYPES = ("Detached", "Semi-detached", "Terraced")
#: Census 2021 TS054 tenures that own their home outright or with a mortgage.
OWNER_PREFIX = "Owned:"
