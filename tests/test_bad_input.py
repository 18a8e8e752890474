"""Every malformed value a user can type: a non-zero exit, one or two lines naming it, nothing written, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrsweep.data import FILES
from tests.conftest import write_synthetic_fashion_mnist

pytestmark = pytest.mark.slow
LRSWEEP = str(Path(sys.executable).with_name("lrsweep"))
ROOT = Path(__file__).resolve().parents[1]
# What TensorFlow's C++ runtime prints on start-up, whatever the command (not lrsweep's output).
_NOISE = ("I0000", "W0000", "E0000", "WARNING: All log messages")
SWEEP = ("-m", "+sweep=constant")

CASES = {
    # A schedule, trainer, optimizer or data value that Keras or lrsweep does not allow.
    "decay_steps": (
        ("schedule.decay_steps=0",),
        "`schedule.decay_steps` must be > 0. Received: schedule.decay_steps=0",
    ),
    "power": (("schedule=polynomial_decay", "schedule.power=-1"), "`schedule.power` must be > 0"),
    "boundaries": (
        ("schedule=piecewise_constant", "schedule.boundaries=[100,50]", "schedule.values=[0.1,0.01,0.001]"),
        "`schedule.boundaries` must be strictly increasing. Received: schedule.boundaries=[100, 50]",
    ),
    "epochs": (("trainer.epochs=0",), "`trainer.epochs` must be >= 1. Received: trainer.epochs=0"),
    "objective": (
        ("trainer.objective=val_auc",),
        "`trainer.objective` must be a key the run logs or measures: one of ['loss', 'accuracy',",
    ),
    "train_size": (("data.train_size=0",), "`data.train_size` must be null or >= 1"),
    "momentum": (("optimizer.momentum=-1",), "optimizer (keras.optimizers.SGD): `momentum` must be a float between"),
    "tracking_uri": (("tracking.tracking_uri=bogus://x",), "`tracking.tracking_uri` must be a folder or a URI"),
    "inf rate": (
        ("schedule.initial_learning_rate=inf",),
        "`schedule.initial_learning_rate` must be a finite number. Received: schedule.initial_learning_rate=inf",
    ),
    "nan value": (
        (*SWEEP, "schedule=piecewise_constant", "schedule.boundaries=[10]", "schedule.values=[0.1,nan]"),
        "`schedule.values` must be a list of finite numbers. Received: schedule.values=[0.1, nan]",
    ),
    "function signature": (
        ("schedule=custom", "schedule.function=os.system"),
        "`schedule.function` must be a function Keras can call as function(epoch, lr)",
    ),
    # Unknown options of a config group, on a single run and in a sweep.
    "family": (("schedule=nope",), "`schedule` must be one of ['constant', 'cosine_decay',"),
    "optimizer": (("optimizer=rmsprob",), "`optimizer` must be one of ['adam', 'sgd']. Received: optimizer='rmsprob'"),
    "sweep": (("-m", "+sweep=nope"), "`sweep` must be one of ['all_families', 'constant',"),
    "sampler": ((*SWEEP, "hydra/sweeper/sampler=tpee"), "`hydra/sweeper/sampler` must be one of ['cmaes', 'gp',"),
    "pruner": ((*SWEEP, "hydra/sweeper/pruner=nope"), "`hydra/sweeper/pruner` must be one of ['hyperband', 'median',"),
    # Malformed search-space expressions.
    "interval(1)": (
        (*SWEEP, "schedule.initial_learning_rate=interval(1)"),
        "`schedule.initial_learning_rate` must be a valid override value (TypeError while evaluating 'interval(1)'",
    ),
    "choice()": (
        (*SWEEP, "schedule.initial_learning_rate=choice()"),
        "must be a valid override value (ValueError while evaluating 'choice()': empty choice is not legal)",
    ),
    "low > high": (
        (*SWEEP, "schedule.initial_learning_rate=interval(0.9, 0.1)"),
        "`hydra.sweeper.params.schedule.initial_learning_rate` must be interval(a, b) with a < b",
    ),
    "unclosed": ((*SWEEP, "schedule.initial_learning_rate=interval(0.1"), "no viable alternative at input"),
    # Sweeper settings.
    "n_trials": ((*SWEEP, "hydra.sweeper.n_trials=0"), "`hydra.sweeper.n_trials` must be >= 1"),
    "n_jobs": ((*SWEEP, "hydra.sweeper.n_jobs=many"), "`hydra.sweeper.n_jobs` must be an int >= 1 or auto"),
    "direction": ((*SWEEP, "hydra.sweeper.direction=up"), "`hydra.sweeper.direction` must be maximize, minimize"),
    "max_failure_rate": ((*SWEEP, "hydra.sweeper.max_failure_rate=2"), "must be in [0.0, 1.0]"),
    "grace_period": (
        (*SWEEP, "hydra.sweeper.heartbeat_interval=5", "hydra.sweeper.grace_period=2"),
        "`hydra.sweeper.grace_period` must be more seconds than hydra.sweeper.heartbeat_interval",
    ),
    # Study storages that cannot be used.
    "storage": ((*SWEEP, "hydra.sweeper.storage=notaurl"), "`hydra.sweeper.storage` must be a database URL"),
    "postgresql down": (
        (*SWEEP, "hydra.sweeper.storage=postgresql://lrsweep:pw@127.0.0.1:1/study"),
        "cannot connect to the study storage postgresql://lrsweep:***@127.0.0.1:1/study: connection failed",
    ),
    "mysql down": (
        (*SWEEP, "hydra.sweeper.storage=mysql+pymysql://root@127.0.0.1:1/study"),
        "cannot connect to the study storage mysql+pymysql://root@127.0.0.1:1/study: (2003, \"Can't connect",
    ),
    "driver": ((*SWEEP, "hydra.sweeper.storage=oracle://x@db/study"), "needs the Python package 'oracledb'"),
    "sqlite folder": (
        (*SWEEP, "hydra.sweeper.storage=sqlite:////nonexistent/dir/x.db"),
        "must be a SQLite file in an existing folder: /nonexistent/dir does not exist",
    ),
    # The dataset.
    "data_dir": (("data.data_dir=/nonexistent",), "`data.data_dir` must be a folder holding the four Fashion-MNIST"),
    "data_dir in a sweep": ((*SWEEP, "data.data_dir=/nonexistent"), "`data.data_dir` must be a folder holding"),
    "truncated": (("data.data_dir={truncated}",), "truncated or corrupted"),
    "not idx": ((*SWEEP, "data.data_dir={foreign}"), "not an IDX file of unsigned bytes (bad magic number"),
    # Your data (examples in tests/training/helpers.py, files written by the broken_data fixture).
    "npz missing": (("data=arrays", "data.path=nope.npz"), "`data.path` must be an .npz file. Received: data.path="),
    "npz lengths": (
        (*SWEEP, "data=arrays", "data.path={mismatched}"),
        "`data.path` must be an .npz whose inputs and targets have equal lengths (x_train of 40, y_train of 39)",
    ),
    "image folder": (
        ("data=image_folder", "data.path={flat}"),
        "`data.path` must be a folder with one sub-folder of images per class (it has 0 sub-folders)",
    ),
    "not data": (
        (*SWEEP, "data=factory", "data._target_=tests.training.helpers.not_data"),
        "`data._target_` must be a lrsweep.data.Dataset, ((x_train, y_train), (x_val, y_val)) arrays",
    ),
    "labels vs outputs": (
        (
            *SWEEP,
            "data=factory",
            "data._target_=tests.training.helpers.arrays_factory",
            "+data.classes=12",
            "model._target_=tests.training.helpers.ten_classes",
        ),
        "`data` must be labels the model's 10 outputs can score. Received: class labels 0 to 11",
    ),
    "objective not logged": (
        (*SWEEP, "trainer.loss=mse", "trainer.metrics=[mae]", "trainer.objective=val_accuracy"),
        "`trainer.objective` must be a key the run logs or measures: one of ['loss', 'mae', 'val_loss', 'val_mae', "
        "'fit_seconds', 'steps']",
    ),
    # Multi-objective studies and hydra-optuna-sweeper's fields.
    "direction count": (
        (*SWEEP, "hydra.sweeper.direction=[maximize,minimize]"),
        "`hydra.sweeper.direction` must be 1 direction(s), one per trainer.objective ['val_accuracy']",
    ),
    "objective twice": (
        (*SWEEP, "trainer.objective=[val_accuracy,val_accuracy]"),
        "`trainer.objective` must be a key the run logs, or a list of distinct keys",
    ),
    "cmaes multi-objective": (
        (*SWEEP, "hydra/sweeper/sampler=cmaes", "trainer.objective=[val_accuracy,fit_seconds]"),
        "`hydra.sweeper.sampler` must be a multi-objective sampler: tpe, nsgaii, gp, random or qmc",
    ),
    "sampler field": (
        (*SWEEP, "hydra.sweeper.sampler.nope=1"),
        "`hydra.sweeper.sampler.nope` must be a field of the tpe sampler: one of ['seed', 'consider_prior',",
    ),
    "custom_search_space": (
        (*SWEEP, "hydra.sweeper.custom_search_space=nowhere.configure"),
        "`hydra.sweeper.custom_search_space` must be the dotted path of a function fn(cfg, trial)",
    ),
    # Results of a study that does not exist.
    "export": (("export", "--study", "nope"), "`--storage` must be an existing study storage"),
    "report": (("report", "--study", "nope"), "`--storage` must be an existing study storage"),
    "check": (("check", "--study", "nope", "--storage", "notaurl"), "`--storage` must be a database URL"),
}


@pytest.fixture(scope="module")
def broken_data(tmp_path_factory) -> dict[str, str]:
    """A dataset folder with a truncated training file, and one whose labels are not IDX at all."""
    truncated = write_synthetic_fashion_mnist(tmp_path_factory.mktemp("truncated"), n_train=64, n_val=16)
    path = truncated / FILES["x_train"]
    path.write_bytes(path.read_bytes()[:-100])
    foreign = write_synthetic_fashion_mnist(tmp_path_factory.mktemp("foreign"), n_train=64, n_val=16)
    import gzip

    (foreign / FILES["y_val"]).write_bytes(gzip.compress(b"<html>not found</html>"))
    folder = tmp_path_factory.mktemp("arrays")
    mismatched = folder / "mismatched.npz"
    np.savez(mismatched, x_train=np.zeros((40, 3)), y_train=np.zeros(39), x_val=np.zeros((5, 3)), y_val=np.zeros(5))
    flat = tmp_path_factory.mktemp("flat")
    (flat / "a.png").write_bytes(b"")
    return {"truncated": str(truncated), "foreign": str(foreign), "mismatched": str(mismatched), "flat": str(flat)}


def test_the_table_has_at_least_twenty_distinct_inputs():
    assert len({args for args, _ in CASES.values()}) >= 20


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_named_in_one_or_two_lines_and_nothing_is_written(case, tmp_path, broken_data):
    args, message = CASES[case]
    args = tuple(arg.format(**broken_data) for arg in args)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the user-style factories of tests/training/helpers.py
    done = subprocess.run([LRSWEEP, *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith(_NOISE)]
    assert done.returncode == 2, done.stderr[-2000:]
    assert 1 <= len(lines) <= 2, lines
    assert lines[-1].startswith("lrsweep: error: ")
    assert message in done.stderr, lines
    assert "Traceback" not in done.stderr + done.stdout
    written = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("outputs", "multirun"))
    assert written == [], f"{case} wrote {written}"


def test_hydra_full_error_keeps_the_traceback(tmp_path):
    done = subprocess.run(
        [LRSWEEP, *SWEEP, "hydra.sweeper.n_trials=0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "HYDRA_FULL_ERROR": "1"},
        timeout=300,
    )
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "ConfigError" in done.stderr
