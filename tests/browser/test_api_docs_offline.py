"""The API docs page works without internet access (issue 21): in Chromium with every request
to another host cut off, the Swagger UI draws the hub's operations from the hub's own static
files and OpenAPI document, nothing tries to leave the machine, and the page keeps to the
Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
"""


@pytest.fixture
def docs_url(live_server, transactional_db):
    return live_server.url + "/api/docs"


def first_summaries(client, count: int = 3) -> list[str]:
    """Summaries of the document's first operations, as the docs page should show them."""
    document = client.get("/api/openapi.json").json()
    summaries = [operation["summary"] for path in document["paths"].values()
                 for operation in path.values() if operation.get("summary")]
    assert summaries, "the OpenAPI document has no operation summaries to look for"
    return summaries[:count]


def test_the_docs_draw_the_operations_with_the_network_cut_off(docs_url, page, client):
    local = {urlsplit(docs_url).hostname}
    left_the_machine, answers = [], []

    def only_the_hub(route):
        if urlsplit(route.request.url).hostname in local:
            route.continue_()
        else:
            left_the_machine.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", only_the_hub)
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.on("response", lambda r: answers.append((r.status, r.url)))

    page.goto(docs_url)
    docs = page.locator("#swagger-ui")
    expect(docs.locator(".opblock").first).to_be_visible()
    for summary in first_summaries(client):
        expect(docs.locator(".opblock-summary-description", has_text=summary).first
               ).to_be_visible()
    # an operation opens and shows its parameters and responses, also drawn offline
    docs.locator(".opblock-summary").first.click()
    expect(docs.locator(".opblock-body .responses-wrapper").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert left_the_machine == []
    assert [(status, url) for status, url in answers if status >= 400] == []
    assert any(url.endswith("/api/openapi.json") for _, url in answers)
    assert page.evaluate("window.__csp") == []
