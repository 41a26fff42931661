"""Browser tests: Debian's Chromium (chalicelib/devstack/chromium.py; `make test` installs it)
driven by Playwright against a local stack started as `make run` starts it.

Fixtures: ``stack`` (one local stack per test module, ready, with the platform admin below),
``browser`` (one Chromium per worker), ``page`` (a fresh context and page per test). When a test
fails, the page's screenshot and HTML are kept in ``test-artifacts/browser/`` (CI keeps that
folder) and the path is printed with the failure.

All browser tests run on one xdist worker (group ``browser``), beside the local-stack tests'
worker: two Chromiums and two stacks at once are too much for a 2-core machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.devstack import chromium
from tests.e2e.stackproc import StackProcess

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
ADMIN = {"username": "browser-root", "password": "browser-Admin-Pass1"}
WEBHOOK_SECRET = "whsec_browser_tests_secret"


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    proc = StackProcess(tmp_path_factory.mktemp("browser-stack"),
                        JFW_ADMIN_USERNAME=ADMIN["username"],
                        JFW_ADMIN_PASSWORD=ADMIN["password"],
                        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    proc.start()
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.kill_everything()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium.ensure(may_install=False)
    # Playwright adds --headless and --no-sandbox itself.
    args = [f for f in chromium.FLAGS if not f.startswith(("--headless", "--no-sandbox"))]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            from playwright.sync_api import Error as PlaywrightError

            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                (ARTIFACTS / f"{name}.html").write_text(page.content())
            except PlaywrightError as e:  # the page may be gone; the failure itself matters more
                console.append(f"(screenshot failed: {e})")
            (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
            print(f"browser artifacts: {ARTIFACTS / name}.*")
        context.close()
