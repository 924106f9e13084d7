"""The interactive explorer starts, loads in headless Chromium and draws its plots."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sim.app.explorer import DESCRIPTION

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the explorer test (.ci/run does)")
    pytest.skip("Debian's chromium is not installed here (apt-get install chromium)", allow_module_level=True)


#: The log of the explorer the `server` fixture started.
SERVER_LOG: list[Path] = []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("explorer") / "solara.log"
    SERVER_LOG.append(log)
    with log.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "sim.app.explore", "--port", str(port), "--production"],
                                   stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail("the explorer exited: " + log.read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the explorer did not start within 120 s")
    yield url
    process.terminate()
    process.wait(timeout=30)


def _open(browser, url):
    """A page of the explorer in a new browser context (a session of its own), loaded."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url, wait_until="load", timeout=120_000)
    page.get_by_text("Model Parameters").wait_for(timeout=120_000)
    page.wait_for_function("document.title === 'Protective integration explorer'", timeout=60_000)
    return page


def _step(page, times):
    """Press Step `times` times and wait until the explorer shows that step."""
    step = page.get_by_role("button", name="Step")
    for _ in range(times):
        step.click()
    _shown(page, times).wait_for(timeout=60_000)


def _shown(page, quarter):
    """The explorer's count of the quarters run: SolaraViz shows `Step: 3` (Mesa 3.3,
    model.steps) or `Time: 3.0` (Mesa 3.5, model.time)."""
    return page.get_by_text(re.compile(rf"^(Step: {quarter}|Time: {quarter}\.0)$"))


def test_explorer_shows_its_plots_in_headless_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = _open(browser, server)
        page.get_by_text(DESCRIPTION[:60]).wait_for(timeout=60_000)     # the page says what it is
        _step(page, 12)
        time.sleep(2)
        shot = tmp_path / "explorer.png"
        page.screenshot(path=str(shot))
        images = page.locator("img").count()
        browser.close()
    import matplotlib.image
    pixels = matplotlib.image.imread(shot)
    assert images >= 2                       # the cohesion plot and the trust heatmap
    assert pixels.std() > 0.05               # not a blank page
    assert (np.abs(pixels[..., :3] - pixels[0, 0, :3]).sum(axis=2) > 0.1).mean() > 0.05


def test_each_browser_session_has_its_own_model_and_slider_values_are_shown(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        first = _open(browser, server)
        _step(first, 3)
        second = _open(browser, server)
        _shown(second, 0).wait_for(timeout=60_000)
        _shown(first, 3).wait_for(timeout=60_000)
        deference = second.locator(".v-slider__thumb-label", has_text="1.65")
        shown = deference.count() == 1 and deference.is_visible()
        texts = [page.inner_text("body") for page in (first, second)]
        browser.close()
    assert shown                             # the deference slider shows its value
    for text in texts:
        assert "Traceback" not in text and "Error" not in text


def test_the_explorer_served_its_pages_without_a_warning(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        _step(_open(browser, server), 1)
        browser.close()
    log = SERVER_LOG[-1].read_text()
    assert "Warning" not in log, log[-2000:]
