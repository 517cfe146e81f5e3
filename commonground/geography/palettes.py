"""Colour-blind-safe sequential palettes and WCAG contrast helpers for maps.

Every palette here is ordered **lightest first, darkest last**, so class 0 (low values) is
light and the last class (high values) is dark, the usual choropleth convention.
``reverse=True`` flips that.

Sources of the colour values:

* ``viridis`` and ``cividis``: sampled from matplotlib's published 256-entry lookup tables
  (``matplotlib/_cm_listed.py``, matplotlib 3.11; viridis by van der Walt & Smith 2015,
  CC0; cividis by Nuñez, Anderton & Renslow 2018, PLOS ONE 13(7):e0199239). For ``n``
  classes the entries at ``int(linspace(0, 1, n) * 256)`` (clipped to 255) were taken, the
  same rule as ``matplotlib.colormaps["viridis"](np.linspace(0, 1, n))``; the values match
  R viridisLite. Both are perceptually uniform with monotonic lightness, and designed to
  stay readable with deuteranopia, protanopia and tritanopia (cividis is optimised for
  red-green colour-vision deficiency specifically). Published order is dark to light, so
  they are stored reversed here.
* ``ylgnbu``: ColorBrewer 2.0 "YlGnBu" (Cynthia Brewer, Penn State; Apache-2.0), the
  per-class-count schemes as shipped in d3-scale-chromatic. ColorBrewer marks YlGnBu as
  colour-blind safe for every class count it has (3..9); 1 and 2 classes are picked from
  the 3-class scheme, and 10 classes do not exist.

``IMD_DECILE_COLOURS`` is viridis with 10 classes in published order: decile 1 (most
deprived) is the darkest, most saturated purple and decile 10 (least deprived) the light
yellow. ``NO_DATA_COLOUR`` is a neutral grey not found in any palette; maps also draw it with
``NO_DATA_HATCH`` diagonal hatching and label it "No data", so it never depends on colour.
"""

from __future__ import annotations

_VIRIDIS = {  # published order, dark -> light
    2: "#440154 #fde725",
    3: "#440154 #21918c #fde725",
    4: "#440154 #31688e #35b779 #fde725",
    5: "#440154 #3b528b #21918c #5ec962 #fde725",
    6: "#440154 #414487 #2a788e #22a884 #7ad151 #fde725",
    7: "#440154 #443983 #31688e #21918c #35b779 #90d743 #fde725",
    8: "#440154 #46327e #365c8d #277f8e #1fa187 #4ac16d #a0da39 #fde725",
    9: "#440154 #472d7b #3b528b #2c728e #21918c #28ae80 #5ec962 #addc30 #fde725",
    10: "#440154 #482878 #3e4989 #31688e #26828e #1f9e89 #35b779 #6ece58 #b5de2b #fde725",
}

_CIVIDIS = {  # published order, dark -> light
    2: "#00224e #fee838",
    3: "#00224e #7d7c78 #fee838",
    4: "#00224e #575d6d #a59c74 #fee838",
    5: "#00224e #434e6c #7d7c78 #bcae6c #fee838",
    6: "#00224e #35456c #666970 #948e77 #c8b866 #fee838",
    7: "#00224e #2a3f6d #575d6d #7d7c78 #a59c74 #d2c060 #fee838",
    8: "#00224e #213b6e #4c556c #6c6e72 #8e8978 #b1a570 #d9c55c #fee838",
    9: "#00224e #1a386f #434e6c #61656f #7d7c78 #9b9476 #bcae6c #dec958 #fee838",
    10: "#00224e #123570 #3b496c #575d6d #707173 #8a8678 #a59c74 #c3b369 #e1cc55 #fee838",
}

_YLGNBU = {  # published order, light -> dark
    3: "#edf8b1 #7fcdbb #2c7fb8",
    4: "#ffffcc #a1dab4 #41b6c4 #225ea8",
    5: "#ffffcc #a1dab4 #41b6c4 #2c7fb8 #253494",
    6: "#ffffcc #c7e9b4 #7fcdbb #41b6c4 #2c7fb8 #253494",
    7: "#ffffcc #c7e9b4 #7fcdbb #41b6c4 #1d91c0 #225ea8 #0c2c84",
    8: "#ffffd9 #edf8b1 #c7e9b4 #7fcdbb #41b6c4 #1d91c0 #225ea8 #0c2c84",
    9: "#ffffd9 #edf8b1 #c7e9b4 #7fcdbb #41b6c4 #1d91c0 #225ea8 #253494 #081d58",
}

PALETTES: dict[str, str] = {
    "viridis": "matplotlib viridis (CC0), sampled per class count",
    "cividis": "matplotlib cividis, sampled per class count",
    "ylgnbu": "ColorBrewer 2.0 YlGnBu (Apache-2.0), 1..9 classes",
}

#: Neutral fill for areas with no value; always paired with hatching and a "No data" label.
NO_DATA_COLOUR = "#e3e3e3"
#: Colour of the diagonal hatch lines drawn over ``NO_DATA_COLOUR``.
NO_DATA_HATCH = "#6b6b6b"
NO_DATA_LABEL = "No data"


def _split(spec: str) -> list[str]:
    return spec.split()


def sequential(n: int, name: str = "viridis", reverse: bool = False) -> list[str]:
    """``n`` distinct hex colours from palette ``name``, lightest first (darkest first if
    ``reverse``). viridis and cividis offer 1..10 classes, ylgnbu 1..9."""
    key = name.lower()
    if key not in PALETTES:
        raise ValueError(f"unknown palette {name!r}; choose from {', '.join(PALETTES)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"number of classes must be a positive integer, not {n!r}")
    if key == "ylgnbu":
        if n > 9:
            raise ValueError("ColorBrewer YlGnBu has at most 9 classes")
        three = _split(_YLGNBU[3])
        colours = {1: three[2:], 2: three[::2]}.get(n) or _split(_YLGNBU[n])
    else:
        table = _VIRIDIS if key == "viridis" else _CIVIDIS
        if n > 10:
            raise ValueError(f"{name} is provided for at most 10 classes")
        colours = _split(table[2])[:1] if n == 1 else _split(table[n])[::-1]
    return colours[::-1] if reverse else list(colours)


#: Ten IMD decile colours, index 0 = decile 1 (most deprived, darkest) .. index 9 = decile 10.
IMD_DECILE_COLOURS: list[str] = sequential(10, "viridis", reverse=True)


def imd_decile_colour(decile: int | None) -> str:
    """Fill colour for an IMD decile 1..10, or ``NO_DATA_COLOUR`` for ``None``."""
    if decile is None:
        return NO_DATA_COLOUR
    if not 1 <= int(decile) <= 10:
        raise ValueError(f"IMD decile must be 1..10, not {decile!r}")
    return IMD_DECILE_COLOURS[int(decile) - 1]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.strip().lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        raise ValueError(f"not a #rgb or #rrggbb colour: {hex_colour!r}")
    try:
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    except ValueError:
        raise ValueError(f"not a #rgb or #rrggbb colour: {hex_colour!r}") from None


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance (0 = black, 1 = white) of an sRGB hex colour."""

    def linear(c8: int) -> float:
        c = c8 / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two hex colours, from 1.0 to 21.0."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def text_colour_for(hex_colour: str) -> str:
    """``"#000000"`` or ``"#ffffff"``, whichever contrasts more with ``hex_colour``.

    The better of the two always reaches at least 4.58:1, so text on any background passes
    WCAG AA for normal-size text.
    """
    black, white = "#000000", "#ffffff"
    if contrast_ratio(hex_colour, black) >= contrast_ratio(hex_colour, white):
        return black
    return white
