"""Every malformed value a user can type: exit 2, one line naming it, nothing written, no traceback."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from lrsweep.data import FILES
from tests.commands import LRSWEEP, run_lrsweep
from tests.conftest import write_synthetic_fashion_mnist

pytestmark = pytest.mark.slow
SWEEP = ("-m", "+sweep=constant")
FACTORY = (
    "data=factory",
    "data._target_=tests.training.helpers.arrays_factory",
    "model._target_=tests.training.helpers.tiny_dense",
)

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
    # What only composing tells: a value of the wrong type, a key the config does not have (Hydra's own error,
    # four lines and exit 1, said in one).
    "wrong type": (("trainer.epochs=many",), "`trainer.epochs` must be an int. Received: trainer.epochs='many'"),
    "wrong type in the sweeper": (
        (*SWEEP, "hydra.sweeper.n_trials=many"),
        "`hydra.sweeper.n_trials` must be an int. Received: hydra.sweeper.n_trials='many'",
    ),
    "unknown key": (
        (*SWEEP, "trainer.epoch=2"),
        "`trainer.epoch` must be a key of `trainer`: one of ['batch_size', 'direction', 'epochs', 'loss',",
    ),
    # Unknown options of a config group, on a single run and in a sweep.
    "family": (("schedule=nope",), "`schedule` must be one of ['constant', 'cosine_decay',"),
    "optimizer": (
        ("optimizer=rmsprob",),
        "`optimizer` must be one of ['adam', 'schedule_free_adamw', 'sgd']. Received: optimizer='rmsprob'",
    ),
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
    "rung_epochs": ((*SWEEP, "hydra.sweeper.rung_epochs=0"), "`hydra.sweeper.rung_epochs` must be an int >= 1 or null"),
    "n_jobs": ((*SWEEP, "hydra.sweeper.n_jobs=many"), "`hydra.sweeper.n_jobs` must be an int >= 1 or auto"),
    "pack": ((*SWEEP, "hydra.sweeper.pack=0"), "`hydra.sweeper.pack` must be an int >= 1, auto or null (off)"),
    "pack backend": (
        (*SWEEP, "hydra.sweeper.pack=2"),
        "`hydra.sweeper.pack` must be null or 1 (off) with KERAS_BACKEND=tensorflow (packed trials are one vmapped "
        "JAX step: set KERAS_BACKEND=jax). Received: hydra.sweeper.pack=2",
    ),
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
    # Your data against itself, the loss and the model (issue 21): the sweep's dry run says it before the study.
    "val features": (
        (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.val_shape_differs"),
        "`data` must be inputs of one shape per example in both splits. Received: x_train of shape (48, 5), "
        "x_val of shape (16, 4)",
    ),
    "model input": (
        (*SWEEP, *FACTORY, "model._target_=tests.training.helpers.fixed_input"),
        "`model` must be a model for the data's inputs of shape (5,) (the model factory gets input_shape=[5]). "
        "Received: a model whose input is (7,) per example",
    ),
    "float targets": (
        (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.float_targets"),
        "`trainer.loss` must be a loss for these targets (float values, not class labels): a regression loss such "
        "as mse or mae",
    ),
    "one output": (
        (*SWEEP, *FACTORY, "model._target_=tests.training.helpers.one_output"),
        "`model` must be a model with 3 outputs, one per class, for trainer.loss=sparse_categorical_crossentropy",
    ),
    "string features": (
        (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.string_features"),
        "`data` must be numeric inputs (int, float or bool arrays): encode text or categories as numbers first. "
        "Received: x_train of dtype <U",
    ),
    "string labels": (
        (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.string_labels"),
        "`data` must be numeric targets: class labels as integers 0..K-1 (np.unique(y, return_inverse=True) "
        "encodes names) or float values. Received: y_train of dtype <U3 (e.g. np.str_('",
    ),
    "npz string labels": (
        ("data=arrays", "data.path={string_labels}"),
        "`data` must be numeric targets: class labels as integers 0..K-1",
    ),
    "npz truncated": (
        (*SWEEP, "data=arrays", "data.path={truncated_npz}"),
        "`data.path` must be a whole NumPy .npz file (BadZipFile: File is not a zip file)",
    ),
    "factory raises": (
        (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.broken_loader"),
        "`data._target_` (tests.training.helpers.broken_loader) raised KeyError: 'features.csv'",
    ),
    "one class": (
        (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.one_class"),
        "`data` must be at least two classes for trainer.loss=sparse_categorical_crossentropy",
    ),
    "no images": (
        (*SWEEP, "data=image_folder", "data.path={no_images}"),
        "`data.path` must be a folder whose class sub-folders hold images (.bmp, .gif, .jpeg, .jpg, .png)",
    ),
    # Names resolved when the model compiles, resolved by the dry run.
    "loss name": ((*SWEEP, "trainer.loss=no_such_loss"), "`trainer.loss` must be a Keras loss name"),
    "metric name": (
        (*SWEEP, "trainer.metrics=[accuracy,no_such_metric]"),
        "`trainer.metrics` must be Keras metric names (accuracy, mae, mse, auc, precision, …) or nodes with "
        "_target_. Received: trainer.metrics='no_such_metric'",
    ),
    "not an optimizer": (
        (*SWEEP, "optimizer._target_=builtins.dict"),
        "`optimizer._target_` must be a Keras optimizer class, a subclass of keras.optimizers.Optimizer",
    ),
    # Sweeper inputs, checked before the study exists.
    "hook raises": (
        (*SWEEP, "hydra.sweeper.custom_search_space=tests.training.helpers.raising_hook"),
        "`hydra.sweeper.custom_search_space` must be a function fn(cfg, trial) that runs on a trial sampled from "
        "the space (it raised RuntimeError: boom in the hook)",
    ),
    "enqueue key": (
        (*SWEEP, "+hydra.sweeper.enqueue=[{schedule.nope: 1}]"),
        "`hydra.sweeper.enqueue` must be overrides of the config (Could not override 'schedule.nope'.)",
    ),
    "range step 0": (
        (*SWEEP, "schedule.initial_learning_rate=range(0.1, 0.9, 0)"),
        "`hydra.sweeper.params.schedule.initial_learning_rate` must be a sweep expression Hydra can expand "
        "(Invalid range values",
    ),
    "boundaries beyond the run": (
        (
            "-m",
            "+sweep=piecewise_constant",
            "trainer.epochs=1",
            "schedule.boundaries=tag(boundaries, int(interval(50, 60)))",
        ),
        "`hydra.sweeper.params.schedule.boundaries` must be at most 4 boundaries: a run of 5 optimizer steps has no "
        "room for more",
    ),
    "unknown family in a choice": (
        ("-m", "+sweep=all_families", "hydra.sweeper.params.schedule=choice(cosine_decay,nope)"),
        "`hydra.sweeper.params.schedule` must be one of ['constant', 'cosine_decay',",
    ),
    "pruner of a multi-objective study": (
        (*SWEEP, "hydra/sweeper/pruner=hyperband", "trainer.objective=[val_accuracy,fit_seconds]"),
        "`hydra/sweeper/pruner` must be none for a study of 2 objectives (Optuna's pruners are single-objective)",
    ),
    "lr_find max_lr": (
        (*SWEEP, "hydra.sweeper.lr_range=auto", "lr_find.max_lr=inf"),
        "`lr_find.max_lr` must be a finite number > lr_find.min_lr (1e-07). Received: lr_find.max_lr=inf",
    ),
    # Other settings.
    "empty experiment": (
        ("tracking.experiment_name=",),
        "`tracking.experiment_name` must be a non-empty name (MLflow's experiment). Received: "
        "tracking.experiment_name=''",
    ),
    "unset variable": (
        ("data.train_size=${oc.env:LRSWEEP_NO_SUCH_VARIABLE}",),
        "`data.train_size` must be an interpolation that resolves (KeyError raised while resolving interpolation: "
        "\"Environment variable 'LRSWEEP_NO_SUCH_VARIABLE' not found\")",
    ),
    "unset variable in a sweep": (
        (*SWEEP, "data.val_size=${oc.env:LRSWEEP_NO_SUCH_VARIABLE}"),
        "`data.val_size` must be an interpolation that resolves",
    ),
    "param too long": (
        (*SWEEP, "+label=" + "x" * 7000),
        "`label` must be at most 6000 characters (MLflow keeps no more in a param). Received: label='xxxx",
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
    """Broken files: a truncated training file, labels that are not IDX at all, .npz files with unequal lengths,
    string labels or cut in half, an image folder without class sub-folders and one without images."""
    truncated = write_synthetic_fashion_mnist(tmp_path_factory.mktemp("truncated"), n_train=64, n_val=16)
    path = truncated / FILES["x_train"]
    path.write_bytes(path.read_bytes()[:-100])
    foreign = write_synthetic_fashion_mnist(tmp_path_factory.mktemp("foreign"), n_train=64, n_val=16)
    import gzip

    (foreign / FILES["y_val"]).write_bytes(gzip.compress(b"<html>not found</html>"))
    folder = tmp_path_factory.mktemp("arrays")
    mismatched = folder / "mismatched.npz"
    np.savez(mismatched, x_train=np.zeros((40, 3)), y_train=np.zeros(39), x_val=np.zeros((5, 3)), y_val=np.zeros(5))
    labels = np.array(["cat", "dog"] * 20)
    np.savez(folder / "labels.npz", x_train=np.zeros((40, 3)), y_train=labels, x_val=np.zeros((8, 3)), y_val=labels[:8])
    whole = (folder / "labels.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(whole[: len(whole) // 2])
    flat = tmp_path_factory.mktemp("flat")
    (flat / "a.png").write_bytes(b"")
    empty = tmp_path_factory.mktemp("no_images")
    for name in ("cats", "dogs"):
        (empty / name).mkdir()
        (empty / name / "notes.txt").write_text("no images here")
    return {
        "truncated": str(truncated),
        "foreign": str(foreign),
        "mismatched": str(mismatched),
        "flat": str(flat),
        "string_labels": str(folder / "labels.npz"),
        "truncated_npz": str(folder / "truncated.npz"),
        "no_images": str(empty),
    }


def _run(args: tuple[str, ...], cwd: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # The user-style factories of tests/training/helpers.py, the synthetic Fashion-MNIST, no inherited MLflow URI.
    env, unset = {"LRSWEEP_DATA_DIR": str(data_dir)}, ("LRSWEEP_BACKEND_LOG", "MLFLOW_TRACKING_URI")
    return run_lrsweep(*args, cwd=cwd, env=env, unset=unset, with_repo=True, timeout=300)


Outcome = tuple[subprocess.CompletedProcess[str], Path]
"""How a case's command ended, and the folder it ran in."""


def _fill(arg: str, files: dict[str, str]) -> str:
    """``data.path={truncated_npz}`` with the broken file's path (other braces, ``${...}`` or ``[{...}]``, kept)."""
    for name, path in files.items():
        arg = arg.replace(f"{{{name}}}", path)
    return arg


@pytest.fixture(scope="module")
def outcomes(request, broken_data, data_dir, tmp_path_factory) -> dict[str, Outcome]:
    """Every selected case run as a user types it, two at a time (each command is mostly its imports), each in
    a folder of its own."""
    selected = [item.callspec.params["case"] for item in request.session.items if item.originalname == _TEST]
    folders = {case: tmp_path_factory.mktemp("bad") for case in selected}

    def run(case: str) -> Outcome:
        args = tuple(_fill(arg, broken_data) for arg in CASES[case][0])
        return _run(args, folders[case], data_dir), folders[case]

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(selected, pool.map(run, selected), strict=True))


def test_the_table_has_at_least_twenty_distinct_inputs():
    assert len({args for args, _ in CASES.values()}) >= 20


_TEST = "test_bad_input_is_named_in_one_line_and_nothing_is_written"


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_named_in_one_line_and_nothing_is_written(case, outcomes):
    """Exit 2, exactly one line on the terminal (no backend start-up lines, no log line before it), no traceback,
    and nothing in the working directory: no study storage, no MLflow store, no mlruns/."""
    done, folder = outcomes[case]
    message = CASES[case][1]
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr[-2000:]
    assert len(lines) == 1, lines
    assert lines[0].startswith("lrsweep: error: ")
    assert message in lines[0], lines
    assert "Traceback" not in done.stderr + done.stdout
    written = sorted(p.name for p in folder.iterdir() if p.name not in ("outputs", "multirun"))
    assert written == [], f"{case} wrote {written}"


def test_bad_data_on_a_database_server_creates_no_study(tmp_path, data_dir):
    """With the study on PostgreSQL, data the model cannot take leaves the database without a study."""
    from tests.servers import fresh_database

    with fresh_database("postgresql") as (url, _):
        args = (*SWEEP, *FACTORY, "data._target_=tests.training.helpers.val_shape_differs")
        done = _run((*args, f"hydra.sweeper.storage={url}"), tmp_path, data_dir)
        assert done.returncode == 2, done.stderr[-2000:]
        assert "`data` must be inputs of one shape per example in both splits" in done.stderr
        import optuna

        assert optuna.get_all_study_names(storage=url) == []


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
