# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's dashboard in a real browser: Debian's headless Chromium through its chromedriver.

Chromium starts with a fresh profile and no background networking; the page is read from a
file:// URL. Under CI (CI=true) a missing browser fails the test; elsewhere it is skipped with
the command that installs it (``make system-deps`` does).
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._dashboard.publish import publish

from .conftest import write_reports

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        pytest.fail("chromium and chromium-driver are missing (make system-deps installs them)", pytrace=False)
    pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    options.add_argument("--window-size=1300,2000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_lab_dashboard_renders_in_chromium(tmp_path: Path, browser: Any, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path / "reports", lab_findings)
    published = publish(reports, "hardened.iis lab")

    browser.get(published.html.as_uri())

    assert browser.title == "hardened.iis lab"
    by = webdriver.common.by.By
    assert browser.find_element(by.ID, "fleet-score").text == f"{published.fleet_score}%"
    shown = {
        article.get_attribute("data-host"): article.find_element(by.TAG_NAME, "h3").text for article in browser.find_elements(by.CSS_SELECTOR, "article.host")
    }
    assert sorted(shown) == ["web01", "web02", "web03"]
    assert shown["web03"] == "web03 — 100.0%"
    rows = [row.get_attribute("data-host") for row in browser.find_elements(by.CSS_SELECTOR, "tr.host-row")]
    assert rows[-1] == "web03"  # worst first
    charts = browser.find_elements(by.CSS_SELECTOR, "svg")
    assert len(charts) == 2 and all(chart.size["width"] > 300 and chart.size["height"] > 100 for chart in charts)
    assert browser.execute_script("return document.body.scrollHeight") > 2000  # the host pages are there
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in {"SEVERE", "ERROR"}]
    assert errors == []

    screenshot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(screenshot))
    width, height = png_size(screenshot)
    assert width >= 1000 and height >= 600
