"""`lrsweep export` and `lrsweep report` after real sweeps, and the tutorial presets on tiny data."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import keras
import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from lrsweep.results import TRIAL_COLUMNS
from lrsweep.results.tutorial import TUTORIAL_VAL_ACCURACY
from lrsweep.schedules import lr_trace
from tests.commands import LRSWEEP, run_lrsweep

pytestmark = pytest.mark.slow


def lrsweep(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_lrsweep(*args, cwd=cwd)


@pytest.fixture(scope="module")
def swept(tmp_path_factory, data_dir):
    """Two 4-trial studies in one directory: a step-wise family and an epoch-wise one."""
    work = tmp_path_factory.mktemp("swept")
    env = {"LRSWEEP_DATA_DIR": str(data_dir)}
    for family in ("cyclical", "step_decay"):
        done = subprocess.run(
            [LRSWEEP, "-m", f"+sweep={family}", "hydra.sweeper.n_trials=4", "trainer.epochs=2"],
            cwd=work,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return work


def logged_lr(client: MlflowClient, run_id: str) -> np.ndarray:
    history = sorted(client.get_metric_history(run_id, "lr"), key=lambda m: m.step)
    return np.array([m.value for m in history], dtype=np.float32)


@pytest.mark.parametrize("family", ["cyclical", "step_decay"])
def test_export_reproduces_the_best_trials_lr(swept, family, tmp_path):
    out = tmp_path / "export"
    done = lrsweep("export", "--study", family, "--out", str(out), cwd=swept)
    assert done.returncode == 0, done.stderr
    study = optuna.load_study(study_name=family, storage=f"sqlite:///{swept / 'lrsweep.db'}")
    best = study.best_trial
    name = f"{family}_trial{best.number}"
    assert f"lrsweep --config-dir {out} schedule={name}" in done.stdout

    client = MlflowClient(f"sqlite:///{swept / 'mlflow.db'}")
    logged = logged_lr(client, best.user_attrs["mlflow_run_id"])
    fit = best.user_attrs["lrsweep.fit"]
    steps_per_epoch, epochs = fit["steps_per_epoch"], fit["epochs"]

    preset = yaml.safe_load((out / "schedule" / f"{name}.yaml").read_text())
    assert preset["defaults"] == [f"/schema/schedule/{family}@_here_", "_self_"]
    values = {k: v for k, v in preset.items() if k != "defaults"}
    np.testing.assert_allclose(lr_trace({"family": family, **values}, steps_per_epoch, epochs), logged, rtol=1e-6)

    serialized = json.loads((out / "schedule.json").read_text())
    if family == "cyclical":
        schedule = keras.optimizers.schedules.deserialize(serialized)
        again = [float(keras.ops.convert_to_numpy(schedule(step))) for step in range(len(logged))]
        np.testing.assert_allclose(again, logged, rtol=1e-6)
    else:
        assert serialized["function"] == "lrsweep.schedules.functions.step_decay"
        assert serialized["kwargs"]["initial_learning_rate"] == pytest.approx(values["initial_learning_rate"])

    parent = study.user_attrs["mlflow_parent_run_id"]
    exported = {a.path for a in client.list_artifacts(parent, "export")}
    assert exported == {"export/schedule.json", "export/use_schedule.py", "export/schedule", "export/experiment"}
    folders = {a.path for f in ("schedule", "experiment") for a in client.list_artifacts(parent, f"export/{f}")}
    assert folders == {f"export/schedule/{name}.yaml", f"export/experiment/{name}.yaml"}
    assert client.get_run(best.user_attrs["mlflow_run_id"]).data.tags["lrsweep.best"] == "true"


def test_exported_preset_retrains_with_the_same_schedule(swept, tmp_path):
    out = tmp_path / "export"
    assert lrsweep("export", "--study", "cyclical", "--out", str(out), cwd=swept).returncode == 0
    name = next((out / "schedule").glob("*.yaml")).stem
    work = tmp_path / "retrain"
    work.mkdir()
    done = lrsweep("--config-dir", str(out), f"schedule={name}", "trainer.epochs=2", "trainer.verbose=0", cwd=work)
    assert done.returncode == 0, done.stderr[-3000:]
    client = MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("lrsweep").experiment_id])
    study = optuna.load_study(study_name="cyclical", storage=f"sqlite:///{swept / 'lrsweep.db'}")
    best_run = study.best_trial.user_attrs["mlflow_run_id"]
    np.testing.assert_allclose(
        logged_lr(client, run.info.run_id),
        logged_lr(MlflowClient(f"sqlite:///{swept / 'mlflow.db'}"), best_run),
        rtol=1e-6,
    )


def test_report_on_two_studies(swept, tmp_path):
    out = tmp_path / "report"
    done = lrsweep("report", "--study", "cyclical", "--study", "step_decay", "--out", str(out), cwd=swept)
    assert done.returncode == 0, done.stderr
    assert "Trials" in done.stdout and "Families" in done.stdout
    trials = pd.read_csv(out / "trials.csv")
    assert list(trials.columns[: len(TRIAL_COLUMNS)]) == TRIAL_COLUMNS
    assert len(trials) == 8 and sorted(trials.study.unique()) == ["cyclical", "step_decay"]
    assert {"schedule.maximal_learning_rate", "schedule.drop_every"} <= set(trials.columns)
    assert pd.read_parquet(out / "trials.parquet").shape == trials.shape
    families = pd.read_csv(out / "families.csv")
    assert list(families.columns) == [
        "study", "family", "metric", "direction", "trials", "complete", "best", "median", "pruned_share"
    ]  # fmt: skip
    assert set(families.metric) == {"val_accuracy"} and set(trials.label) == {"enqueued", "sampled"}  # presets first
    assert families.trials.sum() == 8
    import matplotlib.image

    for name in ("lr_top_trials.png", "objective_curves.png", "best_by_family.png"):
        image = matplotlib.image.imread(out / name)
        assert image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 0, name


def test_missing_study_is_one_clear_line(swept):
    done = lrsweep("export", "--study", "nope", cwd=swept)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"lrsweep: error: `--study` must be one of the studies in sqlite:///{swept / 'lrsweep.db'}: "
        "['cyclical', 'step_decay']. Received: --study='nope'"
    )


def test_tutorial_table_runs_and_reports_beside_the_published_accuracies(tmp_path):
    done = lrsweep("-m", "+experiment=tutorial_table", "trainer.epochs=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    done = lrsweep("report", "--study", "tutorial_table", "--out", str(tmp_path / "report"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    trials = pd.read_csv(tmp_path / "report" / "trials.csv")
    assert sorted(trials.label) == sorted(TUTORIAL_VAL_ACCURACY)
    assert dict(zip(trials.label, trials.tutorial, strict=True)) == TUTORIAL_VAL_ACCURACY
    families = dict(zip(trials.label, trials.family, strict=True))
    assert families["sgd_decay"] == families["inverse_time"] == "inverse_time_decay"
    assert families["custom"] == "custom" and families["piecewise"] == "piecewise_constant"
    study = optuna.load_study(study_name="tutorial_table", storage=f"sqlite:///{tmp_path / 'lrsweep.db'}")
    sgd_decay = next(t for t in study.trials if t.user_attrs["label"] == "sgd_decay")
    assert sgd_decay.user_attrs["schedule"] == {
        "family": "inverse_time_decay",
        "initial_learning_rate": 0.001,
        "decay_steps": 1,
        "decay_rate": 0.0002,
        "staircase": False,
    }
    assert "vs the tutorial's best (piecewise, 0.8720)" in done.stdout


def test_beat_tutorial_runs_on_the_tutorials_budget(tmp_path):
    done = lrsweep("-m", "+experiment=beat_tutorial", "trainer.epochs=1", "hydra.sweeper.n_trials=2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    study = optuna.load_study(study_name="beat_tutorial", storage=f"sqlite:///{tmp_path / 'lrsweep.db'}")
    finished = [t for t in study.trials if t.state.is_finished()]
    assert len(finished) == 2 and study.user_attrs["compare_with_tutorial"] is True
    assert finished[0].params["schedule"] == "constant"  # the tutorial's settings go first
    config = yaml.safe_load(next((tmp_path / "multirun").rglob("config.yaml")).read_text())
    assert (config["data"]["normalize"], config["trainer"]["batch_size"]) == (False, 64)
    assert config["optimizer"]["_target_"] == "keras.optimizers.SGD"
