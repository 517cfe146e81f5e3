"""Template filters for catalogue pages: safe Markdown, and values of table cells."""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

#: HTML a description may produce; everything else (scripts, styles, event handlers) goes.
ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre",
                "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr"}


@register.filter
def markdown(text: str) -> str:
    """Markdown to HTML, sanitised with nh3 (Ammonia): raw HTML in the source is escaped."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"],
                                 output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                      link_rel="nofollow noopener", url_schemes={"http", "https", "mailto"})
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 on the line above


@register.filter
def cell(row: dict, name: str):
    value = row.get(name)
    return "" if value is None else value


@register.filter
def percent(share) -> str:
    """A share 0..1 as a percentage with one decimal ("12.3%"); empty when unknown."""
    if share is None:
        return ""
    return f"{100 * float(share):.1f}%"


@register.filter
def pvalue(p) -> str:
    """A p-value as people read it: "< 0.001" rather than 0, else three decimals."""
    if p is None:
        return ""
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"
