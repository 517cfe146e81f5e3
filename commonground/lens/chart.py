"""A server-rendered SVG chart: one bar per deprivation group with its 95% interval.

No JavaScript; the figure is a ``role="img"`` named by its ``<title>`` and described by its
``<desc>``; the page's table next to it is the text alternative. Hidden (suppressed) groups
are drawn as a labelled gap, never as zero.
"""

from __future__ import annotations

import math
from html import escape

_BAR = "#3b528b"  # viridis, 5-class, second colour: 8.6:1 contrast on white
_TEXT = "#1a1a1a"
_FONT = "system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"


def _nice_max(x: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 × a power of ten that is at least
    ``x``."""
    if x <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(x))
    return next(m * step for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * step >= x)


def format_number(x: float) -> str:
    """1,234 for hundreds and more, else three significant figures (0.0123, 12.3)."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _describe(row: dict) -> str:
    if row.get("value") is None:
        return "hidden to protect privacy" if row.get("suppressed") else "no value"
    if row.get("low") is None or row.get("high") is None:
        return f"{format_number(row['value'])} (no interval)"
    return f"{format_number(row['value'])} (95% interval {format_number(row['low'])} to {format_number(row['high'])})"


def interval_chart(rows: list[dict], *, title: str, unit: str, width: int = 480,
                   id_prefix: str = "lenschart") -> str:
    """Bars of ``rows[i]["value"]`` with whiskers ``low``–``high``; x axis = ``label``."""
    height, left, right, top, bottom = 320, 60, 10, 34, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [r for r in rows if r.get("value") is not None]
    top_value = max([r.get("high") or r["value"] for r in values] + [0])
    y_max = _nice_max(top_value * 1.05)
    y_min = min([r.get("low") or 0 for r in values] + [0])
    y_min = -_nice_max(-y_min) if y_min < 0 else 0.0

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - y_min) / (y_max - y_min))

    n = max(len(rows), 1)
    slot = plot_w / n
    desc = "; ".join(f"{r['label']}: {_describe(r)}" for r in rows)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-labelledby="{id_prefix}-t {id_prefix}-d" class="lens-chart" '
           f'font-family="{_FONT}" font-size="14">',
           f'<title id="{id_prefix}-t">{escape(title)}</title>',
           f'<desc id="{id_prefix}-d">{escape(desc)}</desc>',
           f'<text x="{left}" y="16" fill="{_TEXT}" font-size="13">{escape(unit)}</text>']
    for i in range(5):
        v = y_min + (y_max - y_min) * i / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="#d0d0d0"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                   f'fill="{_TEXT}">{format_number(v)}</text>')
    for i, r in enumerate(rows):
        cx = left + slot * (i + 0.5)
        bw = slot * 0.6
        label = escape(str(r.get("group", i + 1)))
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                   f'fill="{_TEXT}">{label}</text>')
        if r.get("value") is None:
            text = "hidden" if r.get("suppressed") else "–"
            out.append(f'<text x="{cx:.1f}" y="{y(0) - 6:.1f}" text-anchor="middle" '
                       f'fill="{_TEXT}" font-size="12">{text}</text>')
            continue
        y0, y1 = y(max(0.0, y_min)), y(r["value"])
        out.append(f'<rect x="{cx - bw / 2:.1f}" y="{min(y0, y1):.1f}" width="{bw:.1f}" '
                   f'height="{abs(y0 - y1):.1f}" fill="{_BAR}"><title>{escape(r["label"])}: '
                   f'{format_number(r["value"])}</title></rect>')
        if r.get("low") is not None and r.get("high") is not None:
            lo, hi = y(r["low"]), y(min(r["high"], y_max))
            out.append(f'<path d="M{cx:.1f} {lo:.1f}V{hi:.1f}M{cx - 6:.1f} {lo:.1f}h12'
                       f'M{cx - 6:.1f} {hi:.1f}h12" stroke="{_TEXT}" stroke-width="1.5"/>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 28}" text-anchor="middle" '
               f'fill="{_TEXT}">1 = most deprived … {len(rows)} = least deprived</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 10}" text-anchor="middle" '
               f'fill="{_TEXT}" font-size="13">Bars: value; lines: 95% interval</text>')
    out.append("</svg>")
    return "\n".join(out)
