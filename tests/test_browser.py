"""The example report in headless Chromium: links resolve, images load, readable width, no errors.

The screenshot is saved to ``tests/_artifacts/report.png`` (ignored by git) for a person
to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import hpo_insights as hi

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent / "_artifacts"


def _need(path: str) -> None:
    if not (Path(path).exists() or shutil.which(Path(path).name)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is required on CI (CI=true) but is absent")
        pytest.skip(f"{path} is absent: install chromium and chromium-driver to run this test")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need(CHROMIUM)
    _need(CHROMEDRIVER)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                "--window-size=1280,2000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    paths = hi.report.build(None, out, formats=("html",))
    browser.get(paths["html"].resolve().as_uri())
    return browser


def test_every_image_loads(page):
    """Every figure is an embedded image that decoded (three across budgets, three per study)."""
    images = page.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    assert len(images) == 3 + 3 * 3
    assert all(done and width > 0 for done, width in images)


def test_table_of_contents_links_resolve(page):
    """Every link of the contents points at an element of the page, in page order."""
    targets = page.execute_script("""
        const links = Array.from(document.querySelectorAll('a[href^="#"]'))
            .filter(a => !a.classList.contains('anchor-link'));
        return links.map(a => {
            const el = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
            return [a.getAttribute('href'), el ? el.getBoundingClientRect().top + window.scrollY
                                                 : null];
        });""")
    assert len(targets) >= 1 + 7 + 3 * 10
    assert all(top is not None for _, top in targets), [h for h, top in targets if top is None]
    tops = [top for _, top in targets]
    assert tops[1:] == sorted(tops[1:])  # after the key findings, sections in page order


def test_key_findings_come_first(page):
    """The key findings follow the title and the contents, before any section."""
    headings = [h.text.rstrip("¶").strip() for h in page.find_elements("css selector", "h1, h2")]
    assert headings[:4] == ["Hyperparameter search report", "Contents", "Key findings",
                            "Across budgets"]
    assert [h for h in headings if h.startswith("Study ")] == [
        "Study transformer-2M (budget 2M)", "Study transformer-20M (budget 20M)",
        "Study transformer-200M (budget 200M)"]


def test_readable_width(page):
    """The text column stays readable on a wide window, and figures fit in it."""
    width = page.execute_script("return document.body.getBoundingClientRect().width;")
    assert 600 <= width <= 900
    widest = page.execute_script(
        "return Math.max(...Array.from(document.images)"
        ".map(i => i.getBoundingClientRect().width));")
    assert widest <= width


def test_no_console_errors(page):
    """Nothing is logged at SEVERE level (no missing resource, no script error)."""
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def test_screenshot(page):
    """A full-width screenshot of the top of the page is saved for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    assert page.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
