"""The report in headless Chromium, on the bundled example and on a TPE search with a pruner.

Each page: no element wider than the content column, every image loads, every contents
link resolves (in page order), the glossary defines every statistic a table names, the
key findings come first, nothing is logged as an error. A screenshot of each page is
saved to ``tests/_artifacts/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import hpo_insights as hi
from hpo_insights.report import answers
from hpo_insights.report.glossary import PLAIN

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


def _tpe_search(path: Path) -> str:
    """Three small TPE studies with a MedianPruner, one per budget, written by Optuna.

    Truth: lr peaked in log space, dropout decreasing, n_layers and optimizer no effect;
    the objective is reported at 5 steps so that the pruner stops some trials.
    """
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{path}"
    rng = np.random.default_rng(0)
    for k, budget in enumerate(("2M", "20M", "200M")):
        study = optuna.create_study(
            study_name=f"tpe-{budget}", storage=url, direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=k),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
        study.set_user_attr("budget", budget)

        def objective(trial, k=k):
            lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
            dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
            trial.suggest_int("n_layers", 2, 8)
            trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
            final = (0.70 + 0.02 * k - 0.01 * (np.log10(lr) + 3) ** 2 - 0.04 * dropout
                     + rng.normal(0, 0.01))
            for step in range(5):
                trial.report(final - 0.05 * (4 - step) / 4 + rng.normal(0, 0.005), step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return final

        study.optimize(objective, n_trials=30)
    return url


@pytest.fixture(scope="module", params=["example", "tpe"])
def page(request, browser, tmp_path_factory):
    """(browser on the page, its trials, its name): one report per source, built once."""
    out = tmp_path_factory.mktemp(f"report-{request.param}")
    source = None if request.param == "example" else _tpe_search(out / "tpe.db")
    paths = hi.report.build(source, out / "report", formats=("html",))
    browser.get(paths["html"].resolve().as_uri())
    return browser, hi.report.load_trials(source), request.param


def test_every_image_loads(page):
    """Every figure is an embedded image that decoded: four across budgets, drawn once for
    every study (the parameters that matter, the best per budget, the optimization history,
    the search progress), and per study only the learning curves, when recorded (two)."""
    driver, trials, name = page
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    per_study = 2 if name == "tpe" else 0
    assert len(images) == 4 + per_study * trials["study"].nunique()
    assert all(done and width > 0 for done, width in images)


def test_table_of_contents_links_resolve(page):
    """Every link of the contents points at an element of the page, in page order."""
    driver, trials, _ = page
    targets = driver.execute_script("""
        const links = Array.from(document.querySelectorAll('a[href^="#"]'))
            .filter(a => !a.classList.contains('anchor-link'));
        return links.map(a => {
            const el = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
            return [a.getAttribute('href'), el ? el.getBoundingClientRect().top + window.scrollY
                                                 : null];
        });""")
    n = trials["study"].nunique()
    assert len(targets) >= 1 + 3 + 3 * n + n + 1  # findings, budgets, studies, details, glossary
    assert all(top is not None for _, top in targets), [h for h, top in targets if top is None]
    tops = [top for _, top in targets]
    assert tops == sorted(tops)  # the contents read in page order


def test_nothing_wider_than_the_column(page):
    """No element reaches outside the content column (a table too wide for it scrolls inside
    its own box, which itself fits); the column keeps a readable width."""
    driver, _, name = page
    width = driver.execute_script("return document.body.getBoundingClientRect().width;")
    assert 600 <= width <= 900
    wide = driver.execute_script("""
        const body = document.body, style = getComputedStyle(body);
        const left = body.getBoundingClientRect().left + parseFloat(style.paddingLeft);
        const right = body.getBoundingClientRect().right - parseFloat(style.paddingRight);
        const scrolls = el => {
            for (let p = el.parentElement; p && p !== body; p = p.parentElement) {
                const o = getComputedStyle(p).overflowX;
                if ((o === 'auto' || o === 'scroll') && p.scrollWidth > p.clientWidth) return true;
            }
            return false;
        };
        return Array.from(body.querySelectorAll('*')).filter(el => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && (r.left < left - 1 || r.right > right + 1) && !scrolls(el);
        }).map(el => el.tagName + ' ' + el.textContent.slice(0, 60));""")
    assert wide == [], name


def _statistics_named(driver, trials) -> set[str]:
    """The statistic each table header names: metric, budget labels, parameter names and
    values taken out, an interval in brackets counted as its own name."""
    metric = hi.report.metric_name(trials)
    data = {metric, *answers.labels_of(trials), *hi.report.param_names(trials)}
    headers = driver.execute_script(
        "return Array.from(document.querySelectorAll('table')).map(t =>"
        " Array.from(t.querySelectorAll('th')).map(th => th.textContent.trim()));")
    names: set[str] = set()
    params = set(hi.report.param_names(trials))
    for row in headers:
        if row and row[0] in params:  # a coverage matrix: parameter names and values
            continue
        for cell in row:
            parts = re.findall(r"\[([^\]]+)\]", cell)
            cell = re.sub(r"\[[^\]]+\]", "", cell)
            words = [w for w in cell.split() if w not in data and w not in {"on", "at"}
                     and not re.fullmatch(r"[\d.e+-]+", w)]
            for text in (" ".join(words), *parts):
                if text:
                    names.add(text)
    return names


def test_glossary_covers_every_statistic_named(page):
    """Every table header names a plain label or a statistic the page's glossary defines."""
    driver, trials, _ = page
    defined = set(driver.execute_script(
        "const top = document.getElementById('glossary').getBoundingClientRect().top;"
        "return Array.from(document.querySelectorAll('li strong'))"
        ".filter(s => s.getBoundingClientRect().top > top).map(s => s.textContent.trim());"))
    assert {"Verdict", "Effect", "p (adjusted)", "Share"} <= defined
    named = _statistics_named(driver, trials)
    assert "Verdict" in named and "95% CI" in named
    assert named - PLAIN - defined == set()


def test_key_findings_come_first(page):
    """The key findings follow the title and the contents, before any section; studies
    are headed by their name and budget only."""
    driver, trials, _ = page
    headings = [h.text.rstrip("¶").strip()
                for h in driver.find_elements("css selector", "h1, h2")]
    assert headings[:4] == ["Hyperparameter search report", "Contents", "Key findings",
                            "Across budgets"]
    studies = [h for h in headings if h.startswith("Study ")]
    labels = answers.labels_of(trials)
    assert studies == [f"Study {s} (budget {b})" for s, b in
                       zip(trials["study"].unique(), labels, strict=True)]


def test_no_console_errors(page):
    """Nothing is logged at SEVERE level (no missing resource, no script error), and no
    cell printed to stderr (warnings show as notes, never as text with file paths)."""
    driver, _, _ = page
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    stderr = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'[data-mime-type=\"application/vnd.jupyter.stderr\"]')).map(e => e.textContent);")
    assert stderr == []


def test_screenshot(page):
    """A screenshot of the top of the page is saved for review."""
    driver, _, name = page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{name}.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
