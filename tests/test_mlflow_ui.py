"""The MLflow UI as a user sees it: a real `mlflow server` on loopback, opened in headless Chromium."""

from __future__ import annotations

import os
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
        reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
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
def swept_server(tmp_path):
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = subprocess.run(
        [str(BIN / "lrsweep"), "-m", "+sweep=constant", "hydra.sweeper.n_trials=2", "trainer.epochs=2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with mlflow_server(store, tmp_path, workers=1) as url:
        yield url, MlflowClient(store)


def test_trial_runs_are_listed_and_the_lr_chart_renders(swept_server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    url, client = swept_server
    experiment = client.get_experiment_by_name("constant")
    trials = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")
    assert sorted(r.info.run_name for r in trials) == ["trial-0", "trial-1"]

    browser.get(f"{url}/#/experiments/{experiment.experiment_id}/runs")
    parent = wait_for(lambda: browser.find_elements(By.XPATH, "//*[text()='constant']/ancestor::*[@role='row'][1]"))
    assert parent, "the study's parent run is not listed"
    parent[0].find_element(By.CSS_SELECTOR, "button[data-component-id*='runnamecellrenderer']").click()
    listed = wait_for(
        lambda: all(name in browser.find_element(By.TAG_NAME, "body").text for name in ("trial-0", "trial-1"))
    )
    browser.save_screenshot(str(tmp_path / "experiment.png"))
    assert listed, "the trial runs are not listed under the study's run"

    run = trials[0]
    browser.get(f"{url}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}/model-metrics")
    chart = wait_for(lambda: f"{run.info.run_name} (lr)" in browser.find_element(By.TAG_NAME, "body").text)
    browser.save_screenshot(str(tmp_path / "lr_chart.png"))
    assert chart, "no lr chart on the run's metrics page"
    assert browser.find_elements(By.CSS_SELECTOR, "svg.main-svg"), "the charts did not render"
    assert (tmp_path / "lr_chart.png").stat().st_size > 10_000
