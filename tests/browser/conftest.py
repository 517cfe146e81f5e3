"""Playwright (sync API) fixtures driving Debian's Chromium (/usr/bin/chromium).

No browser is downloaded (`playwright install` is never run): Playwright launches the
Chromium that `scripts/setup.sh test` installs from Debian. Every test in tests/browser
gets the `browser` marker, so `pytest -m "not browser"` skips them all.

Fixtures:
    chromium_browser   session-wide headless Chromium
    page               fresh context + page, desktop viewport 1280x900
    phone_page         fresh context + page, phone viewport 390x844 (touch, mobile)
    artifact_path      artifact_path("name.png") -> Path test-artifacts/name.png

A test that fails while using `page` or `phone_page` leaves a full-page screenshot in
test-artifacts/failures/.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test's own thread. Django's
# ORM checks for a running loop and then raises SynchronousOnlyOperation ("You cannot
# call this from an async context") in that thread, e.g. when a test creates rows
# before it opens a page, or when pytest-django flushes the database afterwards. The
# ORM is not really used from async code here (the loop sits idle while our sync test
# code runs; live_server serves requests in its own thread), so the check is a false
# alarm: switch it off for the test process.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
HERE = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI; the sandbox refuses root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network but the package registries: without these Chromium
    # keeps trying (and failing) to reach Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
]

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    # Hooks in a conftest see every collected item: mark only ours.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so page fixtures can tell a failed test.
    report = yield
    setattr(item, f"_cg_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: run scripts/setup.sh test (apt-get install chromium)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(reason + " [CI is set: browser tests must run]", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifact_path():
    """artifact_path("home.png") -> test-artifacts/home.png (directories are created)."""

    def make(name: str) -> Path:
        path = ARTIFACTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    return make


def _page(browser, request, options, suffix):
    context = browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "_cg_report_call", None)
        if report is not None and report.failed:
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
            path = ARTIFACTS / "failures" / f"{name}{suffix}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of the failed page: {path}")
            except Exception as exc:  # a screenshot must not hide the failure
                print(f"could not save a screenshot of the failed page: {exc}")
        context.close()


@pytest.fixture
def page(chromium_browser, request):
    """A fresh browser context and page, desktop-sized (1280x900)."""
    yield from _page(chromium_browser, request, DESKTOP, "")


@pytest.fixture
def phone_page(chromium_browser, request):
    """A fresh browser context and page, phone-sized (390x844, touch, mobile)."""
    yield from _page(chromium_browser, request, PHONE, "-phone")


@pytest.fixture
def hub(live_server, transactional_db, data_dir, load_city_again):
    """The live server's address, with the real places loaded (live_server flushes the DB)."""
    load_city_again(data_dir)
    return live_server.url
