"""The range test on a real Keras model: each step's own loss, computed again here in NumPy; the same curve for the
same seed; a stop at divergence; the CLI's files, MLflow run and one-line errors."""

from __future__ import annotations

import math

import keras
import mlflow
import numpy as np
import pytest

from lrsweep._commands import run_subcommand
from lrsweep.lrfind import exponential_lrs, range_test

N, FEATURES = 64, 4


@pytest.fixture
def npz(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N + 16, FEATURES)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1).astype(np.float32)
    path = tmp_path / "regression.npz"
    np.savez(path, x_train=x[:N], y_train=y[:N], x_val=x[N:], y_val=y[N:])
    return path


def linear(compose_config, npz, *extra):
    return compose_config(
        "data=arrays",
        f"data.path={npz}",
        "model._target_=tests.training.helpers.linear_regressor",
        "optimizer.momentum=0.0",
        "trainer.loss=mse",
        "trainer.metrics=[mae]",
        "trainer.objective=val_mae",
        f"trainer.batch_size={N}",  # one batch: the whole training set, whatever the order
        "tracking=none",
        *extra,
    )


def test_each_step_records_its_own_batch_loss_as_numpy_computes_it(compose_config, npz):
    config = linear(compose_config, npz, "lr_find.num_steps=25", "lr_find.min_lr=1e-3", "lr_find.max_lr=0.3")
    test = range_test(config)

    keras.utils.clear_session()
    keras.utils.set_random_seed(int(config.trainer.seed))  # the seed weights the test starts from
    w, b = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(1)]).get_weights()
    data = np.load(npz)
    x, y = data["x_train"].astype(np.float64), data["y_train"].astype(np.float64)[:, None]
    w, b = w.astype(np.float64), b.astype(np.float64)
    expected = []
    for lr in exponential_lrs(1e-3, 0.3, 25):  # plain SGD on the mean squared error, step by step
        error = x @ w + b - y
        expected.append(float(np.mean(error**2)))
        w, b = w - lr * 2 * x.T @ error / N, b - lr * 2 * error.sum(axis=0) / N
    assert len(test.losses) == 25 and not test.suggestions.diverged
    np.testing.assert_allclose(test.losses, expected, rtol=2e-4)  # not the running mean: each batch's own
    assert np.all(np.diff(test.losses) < 0)


def test_the_same_seed_gives_the_same_curve(compose_config, npz):
    config = linear(compose_config, npz, "lr_find.num_steps=15", "lr_find.min_lr=1e-3", "lr_find.max_lr=0.1")
    first, again = range_test(config), range_test(config)
    np.testing.assert_array_equal(first.losses, again.losses)
    assert first.suggestions == again.suggestions


def test_a_diverging_loss_stops_the_test_and_nan_never_reaches_the_curve(compose_config, npz):
    config = linear(compose_config, npz, "lr_find.num_steps=120", "lr_find.min_lr=1e-3", "lr_find.max_lr=1e6")
    test = range_test(config)
    assert test.suggestions.diverged and 10 < len(test.losses) < 120
    assert all(math.isfinite(loss) for loss in test.losses)
    assert test.suggestions.upper < 10  # the minimum, far below the rates where the loss blew up
    assert test.lrs[-1] < 1e6


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("lr_find.max_lr=1e-8", "`lr_find.max_lr` must be a finite number > lr_find.min_lr (1e-07)"),
        ("lr_find.num_steps=5", "`lr_find.num_steps` must be >= 10, or null"),
        ("lr_find.min_lr=0", "`lr_find.min_lr` must be a finite number > 0"),
        ("lr_find.min_lr=-0.1", "`lr_find.min_lr` must be a finite number > 0"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2_before_any_training(tmp_path, capsys, override, message):
    code = run_subcommand(["lr-find", "--out", str(tmp_path / "out"), override])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "mlflow.db").exists()


def test_the_command_writes_the_plot_the_csv_and_an_mlflow_run(tmp_path, capsys, fast):
    code = run_subcommand(["lr-find", "--out", str(tmp_path / "out"), *fast, "lr_find.num_steps=40"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("lrsweep lr-find: usable LR ") and len(out.strip().splitlines()) == 1
    csv = (tmp_path / "out" / "lr_find.csv").read_text().splitlines()
    assert csv[0] == "step,lr,loss,smoothed_loss" and 10 < len(csv) <= 41
    assert (tmp_path / "out" / "lr_find.png").stat().st_size > 10_000
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    (run,) = client.search_runs(
        [e.experiment_id for e in client.search_experiments()], "tags.`lrsweep.role` = 'lr_find'"
    )
    assert run.info.status == "FINISHED"
    assert {"lr_find.lower", "lr_find.upper", "lr_find.steepest", "lr_find.valley"} <= set(run.data.metrics)
    assert len(client.get_metric_history(run.info.run_id, "lr_find.loss")) == len(csv) - 1
    assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"lr_find.png", "lr_find.csv"}
    assert f"{run.data.metrics['lr_find.lower']:.2e} … {run.data.metrics['lr_find.upper']:.2e}" in out
