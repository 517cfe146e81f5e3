"""Every answer carries the Content-Security-Policy, and no template has inline script that the
policy would block (page scripts are static files)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "commonground" / "templates"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/datasets/", "/api/docs", "/api/places/load",
                                  "/no-such-page/"])
def test_pages_and_api_answers_carry_the_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_no_template_has_inline_script_or_event_handlers():
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
    found = [f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
             for path in TEMPLATES.rglob("*.html")
             for m in [*inline.finditer(path.read_text()), *handler.finditer(path.read_text())]]
    assert found == []
