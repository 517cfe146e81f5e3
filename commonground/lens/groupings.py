"""The ways the lens groups areas by deprivation (``deprivation.groups_of`` computes them),
in a module of their own that imports nothing, so the command line lists them without
loading NumPy."""

#: Group counts for each way of grouping areas by deprivation.
GROUPINGS = {
    "imd-decile": ("national IMD decile", 10),
    "imd-quintile": ("national IMD quintile", 5),
    "city-decile": ("IMD decile within the city", 10),
    "city-quintile": ("IMD quintile within the city", 5),
}
