"""Formatting of figures for pages: thousands separators, percentages, signed differences."""

from django import template

register = template.Library()
DASH = "–"


@register.filter
def num(value, digits=0):
    """1234.0 → "1,234"; 0.2761 with digits=3 → "0.276"; None → "–"."""
    if value is None or value == "":
        return DASH
    return f"{float(value):,.{int(digits)}f}"


@register.filter
def pct(value, digits=1):
    """A proportion as a percentage: 0.1234 → "12.3%"."""
    if value is None or value == "":
        return DASH
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def pp(value):
    """Percentage points with a sign: 2.34 → "+2.3 points"."""
    if value is None or value == "":
        return DASH
    rounded = round(float(value), 1) + 0.0  # no "-0.0"
    return "0.0 points" if rounded == 0 else f"{rounded:+.1f} points"


@register.filter
def score(value):
    """Deprivation scores: three decimals under 1, else one."""
    if value is None or value == "":
        return DASH
    v = float(value)
    return f"{v:.3f}" if abs(v) < 1 else f"{v:.1f}"
