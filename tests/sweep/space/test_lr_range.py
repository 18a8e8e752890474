"""hydra.sweeper.lr_range=auto: one range test per study, bounds narrowed by each family's learning-rate roles,
kept on the study and reused by a second worker and on resume; bounds set on the command line win."""

from __future__ import annotations

import subprocess

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from lrsweep.schedules import get_family
from lrsweep.sweep.space._grammar import Structured, parse_space
from lrsweep.sweep.space._lr_range import narrow
from tests.sweep.test_sweeper import command, lrsweep, mlflow, study


def roles(family):
    return get_family(family).learning_rate_fields()


def test_each_family_names_its_learning_rates():
    assert roles("exponential_decay") == {"initial_learning_rate": "peak"}
    assert roles("cyclical") == {"initial_learning_rate": "floor", "maximal_learning_rate": "peak"}
    assert roles("polynomial_decay") == {"initial_learning_rate": "peak", "end_learning_rate": "floor"}
    assert roles("piecewise_constant") == {"values": "peak"}
    assert roles("cosine_decay") == {"initial_learning_rate": "peak", "warmup_target": "peak"}
    assert roles("warmup_stable_decay") == {"peak_learning_rate": "peak"}


def test_narrowing_sets_peaks_to_the_range_and_floors_below_it_and_leaves_the_rest():
    space = parse_space(
        {"schedule": "choice(cyclical, piecewise_constant)", "trainer.batch_size": "choice(32, 64)"},
        {
            "schedule=cyclical": {
                "schedule.initial_learning_rate": "tag(log, interval(1e-5, 1e-3))",
                "schedule.maximal_learning_rate": "tag(log, interval(2e-3, 1e-1))",
                "schedule.step_size": "int(interval(10, 100))",
            },
            "schedule=piecewise_constant": {
                "schedule.boundaries": "tag(boundaries, int(interval(1, 3)))",
                "schedule.values": "tag(values, log, non_increasing, interval(1e-4, 1e-1))",
            },
        },
    )
    narrowed, changed = narrow(space, 0.01, 0.2, "exponential_decay", roles)
    cyclical, piecewise = narrowed.conditional["schedule=cyclical"], narrowed.conditional["schedule=piecewise_constant"]
    assert cyclical["cyclical/schedule.maximal_learning_rate"] == FloatDistribution(0.01, 0.2, log=True)
    assert cyclical["cyclical/schedule.initial_learning_rate"] == FloatDistribution(1e-4, 0.01, log=True)
    assert cyclical["cyclical/schedule.step_size"] == IntDistribution(10, 100)
    values = piecewise["piecewise_constant/schedule.values"]
    assert isinstance(values, Structured) and values.non_increasing
    assert values.distribution == FloatDistribution(0.01, 0.2, log=True)
    assert narrowed.params["trainer.batch_size"] == CategoricalDistribution((32, 64))
    assert len(changed) == 3


def test_a_bound_given_on_the_command_line_is_kept():
    space = parse_space({"schedule.initial_learning_rate": "tag(log, interval(1e-3, 2e-3))"})
    narrowed, changed = narrow(space, 0.01, 0.2, "constant", roles, explicit={"schedule.initial_learning_rate"})
    assert narrowed.params == space.params and changed == []


def test_a_measured_range_wider_than_the_sweep_files_keeps_its_width_below_the_minimum():
    space = parse_space({"schedule.initial_learning_rate": "tag(log, interval(1e-3, 1e-2))"})  # one decade
    narrowed, changed = narrow(space, 1e-4, 0.5, "constant", roles)
    assert narrowed.params["schedule.initial_learning_rate"] == FloatDistribution(0.05, 0.5, log=True)
    assert changed == [
        "schedule.initial_learning_rate [5.00e-02, 5.00e-01] (the measured range is wider than the sweep file's "
        "1 decade: kept that width below its minimum)"
    ]


@pytest.mark.slow
def test_a_batchnorm_adam_model_gets_its_space_narrowed(tmp_path):
    """On a user's BatchNorm + Dropout CNN with Adam, the range test reads its noisy curve (no single batch sets
    it) and the sweep file's [1e-4, 1e-1] becomes the range of at most three decades the curve shows."""
    done = lrsweep(
        "+sweep=constant", "hydra.sweeper.lr_range=auto", "lr_find.num_steps=120", "trainer.epochs=1",
        "hydra.sweeper.n_trials=1", "hydra.sweeper.enqueue=[]", "optimizer=adam", "trainer.batch_size=32",
        "model._target_=tests.lrfind.models.bn_dropout_cnn", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    record = study(tmp_path, "constant").user_attrs["lrsweep.lr_range"]
    assert 1e-5 < record["lower"] < record["upper"] <= 1.0 and record["upper"] / record["lower"] <= 1000
    (trial,) = study(tmp_path, "constant").trials
    assert trial.distributions["schedule.initial_learning_rate"] == FloatDistribution(
        record["lower"], record["upper"], log=True
    )
    assert "narrowed schedule.initial_learning_rate [" in done.stdout + done.stderr


@pytest.mark.slow
def test_two_workers_share_one_range_test_and_a_resume_reuses_it(tmp_path):
    args = ["+sweep=constant", "hydra.sweeper.lr_range=auto", "lr_find.num_steps=30", "trainer.epochs=1"]
    workers = [
        subprocess.Popen(
            command(*args, "hydra.sweeper.n_trials=4"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    record = study(tmp_path, "constant").user_attrs["lrsweep.lr_range"]
    assert 0 < record["lower"] < record["upper"] and record["steps_run"] <= 30

    resumed = lrsweep(*args, "hydra.sweeper.n_trials=5", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    trials = study(tmp_path, "constant").trials
    assert len(trials) == 5
    (baseline,) = [t for t in trials if t.system_attrs.get("fixed_params")]
    assert baseline.params["schedule.initial_learning_rate"] == 0.001  # the preset, below the range: run as given
    bounds = FloatDistribution(record["lower"], record["upper"], log=True)
    sampled = [t for t in trials if t.system_attrs.get("fixed_params") is None]
    assert sampled and all(t.distributions["schedule.initial_learning_rate"] == bounds for t in sampled)
    assert study(tmp_path, "constant").user_attrs["lrsweep.lr_range"] == record

    client = mlflow(tmp_path)
    experiment = client.get_experiment_by_name("constant")
    (found,) = client.search_runs([experiment.experiment_id], "tags.`lrsweep.role` = 'lr_find'")  # one, ever
    (parent,) = client.search_runs([experiment.experiment_id], "tags.`lrsweep.role` = 'study'")
    assert found.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert found.info.run_id == record["run_id"]
    assert float(parent.data.params["lr_range.lower"]) == pytest.approx(record["lower"])
    assert list(tmp_path.glob("multirun/*/*/lr_find.png")), "the plot, in the sweep's folder"


@pytest.mark.slow
def test_bounds_set_on_the_command_line_win(tmp_path):
    explicit = "schedule.initial_learning_rate=tag(log, interval(0.001, 0.002))"
    done = lrsweep(
        "+sweep=constant", "hydra.sweeper.lr_range=auto", "lr_find.num_steps=20", "trainer.epochs=1",
        "hydra.sweeper.n_trials=2", "hydra.sweeper.enqueue=[]", explicit, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    trials = study(tmp_path, "constant").trials
    explicit_bounds = FloatDistribution(0.001, 0.002, log=True)
    assert all(t.distributions["schedule.initial_learning_rate"] == explicit_bounds for t in trials)
