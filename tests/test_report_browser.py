"""The generated report, opened in a real browser (headless Chromium)."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.workflow

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
EXPECTED = {
    "Comparison": ["0 headline", "1 summary table", "2 the original report's claims", "3 significance",
                   "4 accuracy per variant", "5 accuracy vs cost"],
    "Evaluation": ["every run", "confusion matrix of the best variant", "misclassified digits"],
    "Training": ["learning curves"],
    "Data": ["splits and class counts", "distortion elastic"],
    "Audit": ["Per-layer tables", "Regular vs separable convolution", "Speed", "Totals"],
}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_or_skip() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium on PATH: .ci/run should have installed Debian's chromium")
        pytest.skip("no chromium on PATH (Debian package 'chromium')")
    pytest.importorskip("playwright", reason="playwright (the test extra) drives the browser")
    return path


def test_report_renders_with_its_results(study_run):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    url = (study_run / "report.html").as_uri()
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(url)
        page.get_by_text("A CNN architecture study on MNIST", exact=False).first.wait_for(timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-landing.png"))
        menu = page.locator("#app").inner_text()
        assert "RESULTS" in menu.upper()
        for category, items in EXPECTED.items():
            page.goto(url)
            page.get_by_text(category, exact=True).first.click()
            page.get_by_text(items[0], exact=True).first.wait_for(timeout=10_000)
            listed = page.locator("#app").inner_text()
            for item in items:
                assert item in listed, f"{category}: {item} not listed"
        # open one table: it is shown as HTML, not offered as a download
        page.goto(url)
        page.get_by_text("Comparison", exact=True).first.click()
        page.locator("tr", has_text="1 summary table").locator("a[iconname=eye]").click()
        frame = page.frame_locator("iframe").first
        frame.locator("table").wait_for(timeout=10_000)
        assert "accuracy %" in frame.locator("thead").inner_text()
        page.screenshot(path=str(ARTIFACTS / "report-summary-table.png"))
        browser.close()
    assert problems == []
    assert (ARTIFACTS / "report-landing.png").stat().st_size > 10_000


OVERFLOWING_CELLS = """() => [...document.querySelectorAll('td, th')]
    .filter(cell => cell.scrollWidth > cell.clientWidth + 1)
    .map(cell => cell.textContent.slice(0, 60))"""


def test_no_headline_cell_overflows_at_laptop_size(study_run):
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto((study_run / "results" / "tiny" / "compare" / "headline.html").as_uri())
        page.locator("table.claims").wait_for(timeout=10_000)
        for details in page.locator("details").all():  # the folded prose too
            details.evaluate("element => element.open = true")
        overflowing = page.evaluate(OVERFLOWING_CELLS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "headline-1366.png"), full_page=True)
        browser.close()
    assert overflowing == []


def test_the_landing_page_opens_with_this_runs_verdicts_above_the_fold(study_run):
    """The first screen of the report, at a laptop's 1366x768: the verdict of every claim of the
    run's config is visible without scrolling, above the question and the method."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    claims = pd.read_csv(study_run / "results" / "tiny" / "compare" / "claims.csv")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto((study_run / "report.html").as_uri())
        table = page.locator("table", has_text="the original report's conclusion").first
        table.wait_for(timeout=30_000)
        box = table.bounding_box()
        found = page.get_by_text("What this run found on tiny", exact=False).first.bounding_box()
        question = page.get_by_text("Question.", exact=False).first.bounding_box()
        text = table.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "landing-1366.png"))
        browser.close()
    assert found["y"] < box["y"] < question["y"]
    assert box["y"] + box["height"] <= 768, "the verdict table runs below the fold"
    for row in claims.itertuples():
        assert row.conclusion in text and row.verdict in text


FIGURES = {"accuracy.png", "accuracy_vs_cost.png", "learning_curves.png", "confusion_best.png", "misclassified.png", "sweep.png",
           "elastic_preview.png"}


def test_the_report_zip_unpacks_and_opens_with_every_figure(study_run, tmp_path):
    """`snakemake --report report.zip` (what the workflow catalog offers): unzipped and served, its
    page lists every category and every figure it links loads as an image."""
    import functools
    import http.server
    import re
    import threading
    import zipfile

    from matplotlib.image import imread

    from conftest import run_snakemake

    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    archive = tmp_path / "report.zip"
    run_snakemake(study_run, "--report", str(archive))
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path / "unzipped")
    page_file = tmp_path / "unzipped" / "report" / "report.html"
    linked = sorted(set(re.findall(r"data/raw/[0-9a-f]+/[\w.-]+", page_file.read_text())))
    assert {Path(path).name for path in linked} >= FIGURES
    assert all((page_file.parent / path).is_file() for path in linked)
    figures = [path for path in linked if path.endswith(".png")]
    assert all(imread(page_file.parent / path).size > 0 for path in figures)

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page_file.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on("pageerror", lambda error: problems.append(str(error)))
            url = f"http://127.0.0.1:{server.server_port}/report.html"
            page.goto(url)
            page.get_by_text("A CNN architecture study on MNIST", exact=False).first.wait_for(timeout=30_000)
            for category, items in EXPECTED.items():
                page.goto(url)
                page.get_by_text(category, exact=True).first.click()
                page.get_by_text(items[0], exact=True).first.wait_for(timeout=10_000)
                listed = page.locator("#app").inner_text()
                assert all(item in listed for item in items), category
            loaded = page.evaluate("""async paths => Promise.all(paths.map(async path => {
                const response = await fetch(path);
                const image = new Image();
                image.src = URL.createObjectURL(await response.blob());
                await image.decode();
                return [path, response.status, image.naturalWidth];
            }))""", figures)
            browser.close()
    finally:
        server.shutdown()
    assert problems == []
    assert all(status == 200 and width > 100 for _, status, width in loaded), loaded
