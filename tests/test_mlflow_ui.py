"""The MLflow UI as a user walks it: a sweep prints the `mlflow ui` command and a URL; the user starts the UI, opens
its home page, then the URL, and finds the study's runs, a trial's `lr` chart and two trials compared. Headless
Chromium against a real `mlflow ui`; screenshots are left in the test's tmp dir."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.servers import mlflow_server, wait_for

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="needs Chromium and its driver: apt-get install chromium chromium-driver (make test does it)",
    ),
]
BIN = Path(sys.executable).parent


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def swept(tmp_path):
    """A 3-trial sweep, run as a user runs it; returns what it printed."""
    done = subprocess.run(
        [str(BIN / "lrsweep"), "-m", "+sweep=constant", "hydra.sweeper.n_trials=3", "trainer.epochs=2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def body(browser) -> str:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return browser.find_element(By.TAG_NAME, "body").text
    except StaleElementReferenceException:  # the page re-rendered as we read it
        return ""


def click(browser, xpath: str, timeout: float = 60.0) -> None:
    """Click the first element at ``xpath``, finding it again while the UI re-renders it (React replaces rows
    as the runs list loads: a stale or covered element is looked up anew)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    def attempt() -> bool:
        try:
            found = browser.find_elements(By.XPATH, xpath)
            if found:
                found[0].click()
                return True
        except WebDriverException:
            pass
        return False

    assert wait_for(attempt, timeout=timeout), f"nothing to click at {xpath}"


STUDY_ROW = "//*[text()='constant']/ancestor::*[@role='row'][1]"
EXPAND = f"{STUDY_ROW}//button[contains(@data-component-id, 'runnamecellrenderer')]"


def show_trials(browser, names: tuple[str, ...]) -> bool:
    """Expand the study's run until its trials are listed (a click lost to a re-render is repeated)."""
    listed = lambda: all(name in body(browser) for name in names)  # noqa: E731
    if wait_for(listed, timeout=5):  # expanded already
        return True
    for _ in range(3):
        click(browser, EXPAND)
        if wait_for(listed, timeout=20):
            return True
    return False


def test_the_printed_url_opens_the_studys_runs(swept, browser, tmp_path):
    from selenium.webdriver.common.by import By

    command = re.search(r"^mlflow ui --backend-store-uri (\S+)$", swept, re.MULTILINE)
    printed = re.search(r"then open the study's runs: (http://127\.0\.0\.1:5000/(#/\S+))$", swept, re.MULTILINE)
    assert command and printed, swept
    store = command.group(1)
    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("constant")
    assert printed.group(2) == f"#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning"
    trials = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")
    assert sorted(r.info.run_name for r in trials) == ["trial-0", "trial-1", "trial-2"]

    with mlflow_server(store, tmp_path, command="ui") as url:  # `mlflow ui` as printed, on a free port
        browser.get(f"{url}/")  # the home page, where a user starts
        assert wait_for(lambda: "constant" in body(browser)), "the study's experiment is not on the home page"
        browser.save_screenshot(str(tmp_path / "home.png"))

        browser.get(f"{url}/{printed.group(2)}")
        assert wait_for(lambda: browser.find_elements(By.XPATH, STUDY_ROW)), "the study's parent run is not listed"
        assert "Traces 0" not in body(browser) and "Runs" in body(browser)
        names = ("trial-0", "trial-1", "trial-2")
        assert show_trials(browser, names), "the trials are not under the study"
        browser.save_screenshot(str(tmp_path / "runs.png"))

        # Two trials side by side: tick them, then Compare (the parallel coordinates plot).
        for name in ("trial-0", "trial-1"):
            click(browser, f"//a[normalize-space(.)='{name}']/ancestor::*[@role='row'][1]//input[@type='checkbox']")
        click(browser, "//button[normalize-space(.)='Compare']")
        assert wait_for(lambda: "Comparing 2 Runs" in body(browser)), "the comparison page did not open"
        assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "svg.main-svg")), "no comparison plot"
        text = body(browser)
        assert "Parallel Coordinates Plot" in text and "schedule.initial_learning_rate" in text
        assert "trial-0" in text and "trial-1" in text
        browser.save_screenshot(str(tmp_path / "compare.png"))

        # A trial's page, reached from the runs list (the study's run may still be expanded from before).
        browser.get(f"{url}/{printed.group(2)}")
        assert show_trials(browser, ("trial-2",)), "the trials are not under the study"
        click(browser, "//a[normalize-space(.)='trial-2']")
        click(browser, "//*[@role='tab'][normalize-space(.)='Model metrics']")
        assert wait_for(lambda: "trial-2 (lr)" in body(browser)), "no lr chart on the trial's metrics page"
        assert browser.find_elements(By.CSS_SELECTOR, "svg.main-svg"), "the charts did not render"
        browser.save_screenshot(str(tmp_path / "lr_chart.png"))
    for shot in ("home", "runs", "compare", "lr_chart"):
        assert (tmp_path / f"{shot}.png").stat().st_size > 10_000
