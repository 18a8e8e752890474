"""The exported ``use_schedule.py`` runs in a fresh Python process on a user's own model, for every family, and
applies the learning rate the trial applied."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import optuna
import pytest
from mlflow import MlflowClient

from lrsweep.data import load_fashion_mnist
from lrsweep.results import export_trial
from lrsweep.schedules import FAMILIES
from tests.commands import LRSWEEP

pytestmark = pytest.mark.slow

# A user's script: their own model (not the tutorial's CNN), their arrays, then the exported module's fit();
# a callback of theirs records the learning rate the optimizer holds when each batch starts.
DRIVER = """
import json, sys
import keras
import numpy as np

arrays = np.load(sys.argv[2])
x, y = arrays["x"], arrays["y"]
model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])


class Recorder(keras.callbacks.Callback):
    applied = []

    def on_train_batch_begin(self, batch, logs=None):
        lr = self.model.optimizer.learning_rate
        self.applied.append(float(keras.ops.convert_to_numpy(lr)))


sys.path.insert(0, sys.argv[1])
from use_schedule import fit

history = fit(model, x, y, callbacks=[Recorder()], validation_data=(x, y), verbose=0)
optimizer = model.optimizer
print(json.dumps({"lr": Recorder.applied, "epochs": len(history.history["loss"]), "loss": model.loss,
                  "optimizer": type(optimizer).__name__, "momentum": optimizer.momentum}))
"""


# Presets' step counts a 10-step run cannot hold: each family's entry names steps inside its space (a baseline
# outside the space is not enqueued).
_STEPS = {"cosine_decay": "decay_steps", "cosine_decay_restarts": "first_decay_steps", "cyclical": "step_size",
          "exponential_decay": "decay_steps", "polynomial_decay": "decay_steps"}  # fmt: skip


def _inside(family: str) -> dict[str, object]:
    entry: dict[str, object] = {"schedule": family}
    if family in _STEPS:
        entry[f"schedule.{_STEPS[family]}"] = 5
    if family == "inverse_square_root":
        entry["schedule.warmup_steps"] = 2
    if family == "piecewise_constant":
        entry["schedule.boundaries"] = "[2,5,8]"
    return entry


@pytest.fixture(scope="module")
def every_family(tmp_path_factory, data_dir):
    """One study with one trial of each family (each enqueued at its preset), as `make sweep` would leave it."""
    work = tmp_path_factory.mktemp("every_family")
    enqueue = ",".join("{" + ",".join(f"{k}:{v}" for k, v in _inside(family).items()) + "}" for family in FAMILIES)
    command = [
        LRSWEEP,
        "-m",
        "+sweep=all_families",
        f"hydra.sweeper.n_trials={len(FAMILIES)}",
        "hydra/sweeper/pruner=none",
        f"hydra.sweeper.enqueue=[{enqueue}]",
        "hydra.sweeper.enqueue_share=null",
        "trainer.epochs=2",
        "optimizer.momentum=0.5",
    ]
    env = {**os.environ, "LRSWEEP_DATA_DIR": str(data_dir)}
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    study = optuna.load_study(study_name="all_families", storage=f"sqlite:///{work / 'lrsweep.db'}")
    trials = {t.user_attrs["family"]: t for t in study.trials}
    assert sorted(trials) == sorted(FAMILIES)
    dataset = load_fashion_mnist(data_dir=str(data_dir), download=False)
    arrays = work / "user_data.npz"
    np.savez(arrays, x=dataset.x_train, y=dataset.y_train)
    return work, study, trials, arrays


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_exported_module_trains_a_users_model_with_the_trials_lr(every_family, family, tmp_path):
    work, _, trials, arrays = every_family
    trial = trials[family]
    out = tmp_path / "export"
    export_trial("all_families", f"sqlite:///{work / 'lrsweep.db'}", out, trial.number)
    source = (out / "use_schedule.py").read_text()
    assert source.startswith(f"# Exported by lrsweep: study 'all_families', trial {trial.number} ({family})")

    elsewhere = tmp_path / "user"
    elsewhere.mkdir()
    (elsewhere / "train.py").write_text(DRIVER)
    env = {k: v for k, v in os.environ.items() if k != "LRSWEEP_DATA_DIR"}
    done = subprocess.run(
        [sys.executable, "train.py", str(out), str(arrays)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ran = json.loads(done.stdout.strip().splitlines()[-1])
    assert ran["epochs"] == trial.user_attrs["lrsweep.fit"]["epochs"] == 2
    assert (ran["optimizer"], ran["momentum"], ran["loss"]) == ("SGD", 0.5, "sparse_categorical_crossentropy")

    client = MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    history = sorted(client.get_metric_history(trial.user_attrs["mlflow_run_id"], "lr"), key=lambda m: m.step)
    logged = np.array([m.value for m in history], dtype=np.float32)
    applied = np.array(ran["lr"], dtype=np.float32)
    if family == "reduce_on_plateau":  # later epochs follow the user's model's own validation loss
        steps = trial.user_attrs["lrsweep.fit"]["steps_per_epoch"]
        logged, applied = logged[:steps], applied[:steps]
    assert len(applied) == len(logged) > 0
    np.testing.assert_allclose(applied, logged, rtol=1e-6)


def test_exported_module_reports_its_schedule_when_run(every_family, tmp_path):
    work, _, trials, _ = every_family
    trial = trials["one_cycle"]
    out = tmp_path / "export"
    export_trial("all_families", f"sqlite:///{work / 'lrsweep.db'}", out, trial.number)
    done = subprocess.run([sys.executable, "use_schedule.py"], cwd=out, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = [line.split() for line in done.stdout.splitlines() if line.startswith("step ")]
    client = MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    logged = {m.step: m.value for m in client.get_metric_history(trial.user_attrs["mlflow_run_id"], "lr")}
    assert [int(words[1].rstrip(":")) for words in printed] == [0, 5, 9]  # start, middle and end of its 10 steps
    for words in printed:
        assert float(words[-1]) == pytest.approx(logged[int(words[1].rstrip(":"))], rel=1e-6)


@pytest.mark.parametrize("family", ["step_decay", "custom", "reduce_on_plateau"])
def test_an_exported_callback_family_reports_its_learning_rate_when_run(every_family, tmp_path, family):
    """``python use_schedule.py`` prints the LR at the start, middle and end of the run for the callback families
    too (the plateau family, whose LR follows the metrics, its first LR and its rule)."""
    work, _, trials, _ = every_family
    trial = trials[family]
    out = tmp_path / "export"
    export_trial("all_families", f"sqlite:///{work / 'lrsweep.db'}", out, trial.number)
    done = subprocess.run([sys.executable, "use_schedule.py"], cwd=out, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    client = MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    logged = {m.step: m.value for m in client.get_metric_history(trial.user_attrs["mlflow_run_id"], "lr")}
    steps = int(trial.user_attrs["lrsweep.fit"]["steps_per_epoch"])
    if family == "reduce_on_plateau":
        (line,) = printed
        assert "without improvement of val_loss" in line
        assert float(line.split()[4].rstrip(";")) == pytest.approx(logged[0], rel=1e-6)
        return
    assert [int(line.split()[1].rstrip(":")) for line in printed] == [0, 1]  # start and end of its 2 epochs
    for line in printed:
        epoch = int(line.split()[1].rstrip(":"))
        assert float(line.split()[-1]) == pytest.approx(logged[epoch * steps], rel=1e-6)
