"""The `lrsweep` command end to end, in a subprocess, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from mlflow import MlflowClient

from tests.commands import run_lrsweep
from tests.conftest import BATCH, N_TRAIN

pytestmark = pytest.mark.slow
STEPS = -(-N_TRAIN // BATCH)


def lrsweep(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_lrsweep(*args, "trainer.verbose=2", cwd=cwd, env=env, timeout=300)


def runs(db: Path) -> list:
    client = MlflowClient(f"sqlite:///{db}")
    experiment = client.get_experiment_by_name("lrsweep")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])


def test_one_trial_from_any_directory(tmp_path):
    work = tmp_path / "somewhere"
    work.mkdir()
    done = lrsweep(
        "schedule=exponential_decay",
        "schedule.initial_learning_rate=0.05",
        "schedule.decay_steps=2",
        "schedule.decay_rate=0.7",
        "trainer.epochs=2",
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    assert "lrsweep: exponential_decay · val_accuracy" in done.stdout
    assert "MLflow run" in done.stdout
    assert (work / "mlflow.db").is_file() and (work / "outputs").is_dir()

    (run,) = runs(work / "mlflow.db")
    assert run.info.status == "FINISHED"
    history = MlflowClient(f"sqlite:///{work / 'mlflow.db'}").get_metric_history(run.info.run_id, "lr")
    logged = np.array([m.value for m in sorted(history, key=lambda m: m.step)], dtype=np.float32)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.7, staircase=True)
    expected = [float(keras.ops.convert_to_numpy(schedule(step))) for step in range(2 * STEPS)]
    np.testing.assert_allclose(logged, expected, rtol=1e-6)


def test_epoch_wise_family_and_mlflow_tracking_uri(tmp_path):
    store = tmp_path / "shared.db"
    done = lrsweep(
        "schedule=custom",
        "schedule.initial_learning_rate=0.09",
        "trainer.epochs=3",
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{store}"},
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "mlflow.db").exists()
    (run,) = runs(store)
    history = MlflowClient(f"sqlite:///{store}").get_metric_history(run.info.run_id, "lr")
    per_epoch = sorted({round(m.value, 9) for m in history}, reverse=True)
    np.testing.assert_allclose(per_epoch, [0.03, 0.01, 0.01 / 3], rtol=1e-5)  # the tutorial's lr/3 every epoch


def test_invalid_parameter_exits_before_training_with_one_line(tmp_path):
    done = lrsweep("schedule.decay_steps=0", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "lrsweep: error: `schedule.decay_steps` must be > 0. Received: schedule.decay_steps=0"
    )
    assert "Traceback" not in done.stderr
    assert "Epoch 1" not in done.stdout
    assert not (tmp_path / "mlflow.db").exists()


def test_nan_loss_exits_non_zero_and_the_run_is_failed(tmp_path):
    done = lrsweep("schedule=constant", "schedule.initial_learning_rate=1e6", "data.normalize=false", cwd=tmp_path)
    assert done.returncode == 1
    assert "lrsweep: error: loss became nan" in done.stderr
    (run,) = runs(tmp_path / "mlflow.db")
    assert run.info.status == "FAILED" and run.data.tags["lrsweep.status"] == "failed"


def test_hydra_multirun_runs_one_trial_per_combination(tmp_path):
    done = lrsweep("-m", "schedule=constant,step_decay", "trainer.epochs=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(r.data.params["schedule.family"] for r in runs(tmp_path / "mlflow.db")) == ["constant", "step_decay"]
    assert (tmp_path / "multirun").is_dir()


def test_python_dash_m_and_help(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lrsweep", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    for group in ("schedule", "optimizer", "model", "data", "trainer", "tracking"):
        assert f"{group}:" in done.stdout


def test_failed_job_in_a_multirun_does_not_stop_the_others(tmp_path):
    done = lrsweep(
        "-m",
        "schedule=constant",
        "schedule.initial_learning_rate=1e6,0.05",
        "data.normalize=false",
        "trainer.epochs=1",
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "lrsweep: error: loss became nan" in done.stderr
    states = [(r.data.params["schedule.initial_learning_rate"], r.info.status) for r in runs(tmp_path / "mlflow.db")]
    assert states == [("1000000.0", "FAILED"), ("0.05", "FINISHED")]
