"""The API docs page names nothing outside the hub: Swagger UI's script and stylesheet are the
hub's own static files (django-ninja's, found by settings.NINJA_DIR), never a CDN's, so
the page works without internet access. In a browser with the network cut off:
tests/browser/test_api_docs_offline.py; served by the production server after collectstatic:
tests/test_serve.py."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ADDRESS = re.compile(r"""(?:https?:)?//([^/\s"'<>]+)""", re.I)
LOADED = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["']([^"']+)["']""", re.I)


@pytest.fixture
def docs(client, db):
    answer = client.get("/api/docs")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_docs_page_names_no_host_but_the_hub(docs):
    assert [m.group(0) for m in ADDRESS.finditer(docs) if m.group(1) != "testserver"] == []


def test_everything_the_docs_page_loads_is_one_of_the_hubs_static_files(docs):
    loaded = LOADED.findall(docs)
    assert {path.rsplit("/", 1)[-1] for path in loaded} >= {
        "swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"}
    static = "/" + settings.STATIC_URL.lstrip("/")
    for path in loaded:
        assert path.startswith(static), path
        assert finders.find(path.removeprefix(static)), path
