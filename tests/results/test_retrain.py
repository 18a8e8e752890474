"""The retrain command `lrsweep export` prints reproduces the trial on the user's own model and data: a fresh
``lrsweep`` process trains the same model on the same data with the same optimizer, trainer and schedule, and gets
the trial's metrics (same seed)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import optuna
import pytest
import yaml
from mlflow import MlflowClient

from lrsweep.results import export_trial
from tests.commands import LRSWEEP

pytestmark = pytest.mark.slow

# The user's module, in the folder they sweep from: their data (three noisy blobs, not images) and their model
# (an MLP with a width of their own, not the tutorial's CNN).
USER_MODULE = """
import keras
import numpy as np


def blobs(n_train=384, n_val=96, seed=3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 6)) * 1.5
    labels = rng.integers(0, 3, n_train + n_val)
    features = (centres[labels] + rng.normal(size=(labels.size, 6))).astype("float32")
    return (features[:n_train], labels[:n_train]), (features[n_train:], labels[n_train:])


def mlp(input_shape, num_classes, units=8):
    return keras.Sequential(
        [keras.Input(input_shape), keras.layers.Dense(units, "relu"), keras.layers.Dense(num_classes, "softmax")]
    )
"""

# What the user set beside the sweep: their data and model, Adam, their own batch size, epochs and seed.
SETUP = [
    "data=factory",
    "data._target_=mine.blobs",
    "+data.n_train=320",
    "model._target_=mine.mlp",
    "+model.units=12",
    "optimizer=adam",
    "optimizer.beta_1=0.8",
    "trainer.epochs=3",
    "trainer.batch_size=16",
    "trainer.seed=7",
]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LRSWEEP_DATA_DIR"}  # nothing of Fashion-MNIST is needed
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def users_study(tmp_path_factory):
    work = tmp_path_factory.mktemp("users_sweep")
    (work / "mine.py").write_text(USER_MODULE)
    sweep = ["-m", "+sweep=cosine_decay", "hydra.sweeper.n_trials=2", "hydra/sweeper/pruner=none", *SETUP]
    run([LRSWEEP, *sweep], work)
    return work, optuna.load_study(study_name="cosine_decay", storage=f"sqlite:///{work / 'lrsweep.db'}")


def test_the_exported_experiment_retrains_the_trial_on_the_users_model_and_data(users_study, tmp_path):
    work, study = users_study
    trial = study.best_trial
    exported = export_trial("cosine_decay", f"sqlite:///{work / 'lrsweep.db'}", tmp_path / "export")
    assert exported.experiment is not None
    experiment = yaml.safe_load(exported.experiment.read_text())
    assert experiment["defaults"] == [
        {"override /schedule": exported.name},
        {"override /model": "seed_cnn"},  # the option the user's _target_ replaced, as they composed it
        {"override /data": "factory"},
        {"override /optimizer": "adam"},
        {"override /trainer": "default"},
    ]
    assert experiment["model"] == {"_target_": "mine.mlp", "units": 12}
    assert experiment["data"]["_target_"] == "mine.blobs" and experiment["data"]["n_train"] == 320
    assert (experiment["optimizer"]["beta_1"], experiment["trainer"]["batch_size"]) == (0.8, 16)
    assert exported.retrain in exported.snippet.read_text()  # use_schedule.py's docstring carries it

    # The printed command, as the user runs it from their folder, in a fresh process, recorded in a fresh store.
    retrain = shlex.split(exported.retrain)
    assert retrain[0] == "lrsweep"
    tracking = f"sqlite:///{tmp_path / 'retrain.db'}"
    run([LRSWEEP, *retrain[1:], f"tracking.tracking_uri={tracking}", "trainer.verbose=0"], work)

    client = MlflowClient(tracking)
    (retrained,) = client.search_runs([client.get_experiment_by_name("lrsweep").experiment_id])
    original = MlflowClient(f"sqlite:///{work / 'mlflow.db'}").get_run(trial.user_attrs["mlflow_run_id"])
    params = retrained.data.params
    assert params["model._target_"] == "mine.mlp" and params["optimizer._target_"] == "keras.optimizers.Adam"
    assert int(original.data.params["run.steps_per_epoch"]) == 20 == int(params["run.steps_per_epoch"])  # 320 / 16
    for metric in ("val_accuracy", "val_loss", "loss"):
        # Same seed, same data order: the trial's numbers to float32 rounding across processes.
        assert retrained.data.metrics[metric] == pytest.approx(original.data.metrics[metric], rel=1e-4, abs=1e-5)
    assert retrained.data.metrics["val_accuracy"] == pytest.approx(trial.value, abs=1e-6)
