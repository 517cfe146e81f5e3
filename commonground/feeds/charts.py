"""A datastream's line chart as one inline SVG string (no JavaScript): time across, value up.

Pure Python: ``series`` is (aware datetime, number) pairs in time order; the chart spans
[start, end) across and the values' range up (with zero if it is near), labelled with the
first and last times and the lowest and highest values. Its ``<title>`` and ``<desc>`` say
what it shows, so a screen reader hears the range, not a picture.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

WIDTH, HEIGHT = 720.0, 280.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 16.0, 16.0, 40.0


def _label(value: float) -> str:
    return f"{value:,.6g}"


def line_chart(series: list[tuple[datetime, float]], *, title: str, start: datetime,
               end: datetime, unit: str = "") -> str:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    series = [(t.astimezone(UTC), v) for t, v in series]
    span = (end - start).total_seconds() or 1.0
    if not series:
        desc = f"No observations from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC."
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} 60" '
                f'role="img" class="chart"><title>{escape(title)}</title>'
                f'<desc>{escape(desc)}</desc><text x="8" y="34">{escape(desc)}</text></svg>')
    values = [v for _, v in series]
    low, high = min(values), max(values)
    if low > 0 and low < (high - low):
        low = 0.0
    if high == low:
        high, low = high + 1, low - 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: datetime) -> float:
        return LEFT + plot_w * (t - start).total_seconds() / span

    def y(v: float) -> float:
        return TOP + plot_h * (high - v) / (high - low)

    points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series)
    desc = (f"{len(series)} values from {series[0][0]:%Y-%m-%d %H:%M} to "
            f"{series[-1][0]:%Y-%m-%d %H:%M} UTC, lowest {_label(min(values))}, highest "
            f"{_label(max(values))} {unit}.")
    axis = 'stroke="#3a3a3a" stroke-width="1"'
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
        f'role="img" class="chart" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" {axis}/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        f'{axis}/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="12">'
        f'{escape(_label(high))}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="12">'
        f'{escape(_label(low))}</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 12}" font-size="12">{start:%Y-%m-%d %H:%M}</text>',
        f'<text x="{LEFT + plot_w}" y="{HEIGHT - 12}" text-anchor="end" font-size="12">'
        f'{end:%Y-%m-%d %H:%M} UTC</text>',
        f'<polyline fill="none" stroke="#005ea5" stroke-width="2" points="{points}"/>',
        "</svg>"])
