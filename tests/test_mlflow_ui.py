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
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


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
        parent = wait_for(lambda: browser.find_elements(By.XPATH, "//*[text()='constant']/ancestor::*[@role='row'][1]"))
        assert parent, "the study's parent run is not listed"
        assert "Traces 0" not in body(browser) and "Runs" in body(browser)
        parent[0].find_element(By.CSS_SELECTOR, "button[data-component-id*='runnamecellrenderer']").click()
        names = ("trial-0", "trial-1", "trial-2")
        assert wait_for(lambda: all(name in body(browser) for name in names)), "the trials are not under the study"
        browser.save_screenshot(str(tmp_path / "runs.png"))

        # Two trials side by side: tick them, then Compare (the parallel coordinates plot).
        for name in ("trial-0", "trial-1"):
            row = browser.find_element(By.XPATH, f"//a[normalize-space(.)='{name}']/ancestor::*[@role='row'][1]")
            row.find_element(By.CSS_SELECTOR, "input[type='checkbox']").click()
        compare = [b for b in browser.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Compare"]
        assert compare, "no Compare button once two trials are selected"
        compare[0].click()
        assert wait_for(lambda: "Comparing 2 Runs" in body(browser)), "the comparison page did not open"
        assert wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "svg.main-svg")), "no comparison plot"
        text = body(browser)
        assert "Parallel Coordinates Plot" in text and "schedule.initial_learning_rate" in text
        assert "trial-0" in text and "trial-1" in text
        browser.save_screenshot(str(tmp_path / "compare.png"))

        # A trial's page, reached from the runs list (the study's run may still be expanded from before).
        browser.get(f"{url}/{printed.group(2)}")
        trial_link = (By.XPATH, "//a[normalize-space(.)='trial-2']")
        link = wait_for(lambda: browser.find_elements(*trial_link), timeout=10)
        if not link:
            expand = (
                By.XPATH,
                "//*[text()='constant']/ancestor::*[@role='row'][1]"
                "//button[contains(@data-component-id, 'runnamecellrenderer')]",
            )
            wait_for(lambda: browser.find_elements(*expand))[0].click()
            link = wait_for(lambda: browser.find_elements(*trial_link))
        link[0].click()
        tab = wait_for(
            lambda: [t for t in browser.find_elements(By.CSS_SELECTOR, "[role='tab']") if t.text == "Model metrics"]
        )
        tab[0].click()
        assert wait_for(lambda: "trial-2 (lr)" in body(browser)), "no lr chart on the trial's metrics page"
        assert browser.find_elements(By.CSS_SELECTOR, "svg.main-svg"), "the charts did not render"
        browser.save_screenshot(str(tmp_path / "lr_chart.png"))
    for shot in ("home", "runs", "compare", "lr_chart"):
        assert (tmp_path / f"{shot}.png").stat().st_size > 10_000
