"""Every page keeps to its Content-Security-Policy with JavaScript on: scripts come only from
the hub's own static files, and nothing the pages need is blocked (the API docs draw their
operations, the ingest page polls its job, maps and forms work)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from commonground.accounts.models import Membership, Organisation

LSOA = "E01016710"
PASSWORD = "a-long-pass-phrase"
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
"""


@pytest.fixture
def food_banks(hub, django_user_model, tmp_path):
    """A published dataset with rows placed by postcode, and an editor who can see its jobs."""
    from commonground.catalogue.models import Dataset, IngestJob, Resource
    from commonground.catalogue.services import ingest

    group = Organisation.objects.create(slug="food-network", name="Food network",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    editor = django_user_model.objects.create_user("editor", password=PASSWORD)
    Membership.objects.create(user=editor, organisation=group, role=Membership.Role.EDITOR)
    dataset = Dataset.objects.create(name="food-banks", title="Food banks", organisation=group,
                                     state=Dataset.State.PUBLISHED)
    resource = Resource.objects.create(dataset=dataset, name="Sites")
    body = "name,postcode\n" + "".join(f"Site {i},{pc}\n" for i, pc in
                                        enumerate(["MK2 2HB", "MK12 5BN", "MK9 3EJ"] * 4))
    job = ingest.stage_upload(resource, iter([body.encode()]), filename="sites.csv")
    assert ingest.run_job(job.id).status == IngestJob.Status.DONE
    queued = IngestJob.objects.create(resource=resource, filename="next.csv")  # not yet run
    return dataset, resource, queued


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def test_pages_keep_to_the_policy_with_javascript_on(hub, food_banks, page):
    dataset, resource, queued = food_banks
    page.context.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text
            else None)

    answer = page.goto(hub + "/")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split(
        "script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy

    pages = ["/", f"/places/lsoa21/{LSOA}/", "/datasets/", f"/datasets/{dataset.name}/",
             f"/datasets/{dataset.name}/resources/{resource.id}/",
             f"/datasets/{dataset.name}/lens/", "/energy/", "/requests/", "/consultations/"]
    for path in pages:
        page.goto(hub + path)
        page.wait_for_load_state("networkidle")
        assert _violations(page) == [], path

    page.goto(hub + "/api/docs")  # Swagger UI from the hub's own static files
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    assert _violations(page) == []

    page.goto(hub + "/accounts/login/")
    page.get_by_label("User name").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    with page.expect_request(lambda r: r.url.endswith(f"/ingest/{queued.id}/status")):
        page.goto(hub + f"/ingest/{queued.id}/")  # its script polls the job's status
    assert _violations(page) == []
    assert console == []
