"""The example report in headless Chromium: images load, sections show, no console errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import hpo_insights as hi

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


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
    images = page.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    assert len(images) >= 6  # cross-budget figures plus per-study figures
    assert all(done and width > 0 for done, width in images)


def test_one_image_per_figure_kind(page):
    # [section heading, images under it] in page order (h1/h2 sections)
    sections = page.execute_script("""
        const out = [];
        for (const el of document.querySelectorAll('h1, h2, img')) {
            if (el.tagName === 'IMG') { if (out.length) out[out.length - 1][1] += 1; }
            else { out.push([el.firstChild ? el.firstChild.textContent.trim() : '', 0]); }
        }
        return out;""")
    assert sum(n for _, n in sections) == len(page.find_elements("tag name", "img"))
    # each study's collapse, importance and trend sections come with their figures
    for name in ("Probability Collapse Analysis", "Parameter Importance", "Parameter Trends"):
        assert sum(1 for heading, n in sections if heading == name and n >= 1) == 3, name


def test_section_headings(page):
    headings = [h.text for h in page.find_elements("css selector", "h1, h2, h3")]
    joined = "\n".join(headings)
    assert "Hyperparameter search report" in joined
    for budget in ("2M", "20M", "200M"):
        assert f"HPO Analysis: {budget} (a100)" in headings
    for section in ("Summary Statistics", "Parameter Importance", "Parameter Trends",
                    "Coverage Matrices", "Forced Extreme Trials"):
        assert headings.count(section) == 3, section


def test_no_severe_console_errors(page):
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def test_screenshot(page, tmp_path):
    shot = tmp_path / "report.png"
    assert page.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
