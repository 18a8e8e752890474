"""Define-by-run sampling: conditional branches, structured parameters, enqueued settings given back exactly."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from lrsweep.schedules import from_config
from lrsweep.sweep.space._grammar import parse_space
from lrsweep.sweep.space._sample import enqueue_params, sample, to_override

SWEEPS = Path(__file__).resolve().parents[2] / "sweeps"


def test_conditional_space_samples_only_the_drawn_branch():
    space = parse_space(
        {"schedule": "choice(exponential_decay, constant)", "trainer.epochs": 2},
        {
            "schedule=exponential_decay": {"schedule.decay_rate": "interval(0.5, 0.99)"},
            "schedule=constant": {"schedule.initial_learning_rate": "tag(log, interval(1e-4, 1e-1))"},
        },
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        values = sample(trial, space)
        seen.add(values["schedule"])
        if values["schedule"] == "exponential_decay":
            assert set(trial.params) == {"schedule", "exponential_decay/schedule.decay_rate"}
            assert set(values) == {"schedule", "schedule.decay_rate"}
        else:
            assert set(trial.params) == {"schedule", "constant/schedule.initial_learning_rate"}
        study.tell(trial, 0.5)
    assert seen == {"exponential_decay", "constant"}


def test_piecewise_structure_is_always_a_valid_keras_schedule():
    space = parse_space(
        {
            "schedule.boundaries": "tag(boundaries, int(interval(1, 4)))",
            "schedule.values": "tag(values, log, non_increasing, interval(1e-4, 1e-1))",
        }
    )
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5))
    counts = set()
    for _ in range(40):
        trial = study.ask()
        values = sample(trial, space, total_steps=100)
        boundaries, lrs = values["schedule.boundaries"], values["schedule.values"]
        counts.add(len(boundaries))
        assert all(0 < b < 100 for b in boundaries) and boundaries == sorted(set(boundaries))
        assert len(lrs) == len(boundaries) + 1 and lrs == sorted(lrs, reverse=True)
        assert all(1e-4 <= v <= 1e-1 for v in lrs)
        from_config({"family": "piecewise_constant", "boundaries": boundaries, "values": lrs})  # valid for Keras
        study.tell(trial, -lrs[-1])
    assert counts == {1, 2, 3, 4}


def test_fraction_becomes_steps_of_the_run():
    space = parse_space({"schedule.decay_steps": "tag(fraction, interval(0.1, 0.5))"})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(10):
        trial = study.ask()
        steps = sample(trial, space, total_steps=1000)["schedule.decay_steps"]
        assert steps == round(trial.params["schedule.decay_steps_fraction"] * 1000)
        assert 100 <= steps <= 500
        study.tell(trial, 0.0)


@pytest.mark.parametrize("conditional", [False, True])
def test_a_searched_epoch_count_makes_a_fraction_one_of_the_trials_own_run(conditional):
    """`trainer.epochs=choice(1,4)` (e.g. trading accuracy against fit time): the run the sweep composed has 5
    epochs of 100 steps; a trial drawing 1 epoch has a 100-step run, and its fraction is of those."""
    fraction = {"schedule.decay_steps": "tag(fraction, interval(0.1, 0.5))"}
    params = {"trainer.epochs": "choice(1, 4)"}
    if conditional:
        space = parse_space(
            {**params, "schedule": "choice(exponential_decay)"}, {"schedule=exponential_decay": fraction}
        )
        name = "exponential_decay/schedule.decay_steps_fraction"
    else:
        space, name = parse_space({**params, **fraction}), "schedule.decay_steps_fraction"
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = set()
    for _ in range(12):
        trial = study.ask()
        values = sample(trial, space, total_steps=500, epochs=5)
        drawn.add(values["trainer.epochs"])
        assert values["schedule.decay_steps"] == round(trial.params[name] * 100 * values["trainer.epochs"])
        study.tell(trial, 0.0)
    assert drawn == {1, 4}


@pytest.mark.parametrize("total_steps", [20, 4690])
def test_enqueued_settings_come_back_exactly(total_steps):
    space = parse_space(
        {
            "schedule.boundaries": "tag(boundaries, int(interval(1, 4)))",
            "schedule.values": "tag(values, log, non_increasing, interval(1e-4, 1e-1))",
            "schedule.decay_steps": "tag(fraction, interval(0.1, 1.0))",
            "schedule.staircase": "choice(true, false)",
        }
    )
    entry = {
        "schedule.boundaries": [1000, 2000, 3000],
        "schedule.values": [0.003, 0.002, 0.001, 0.0001],
        "schedule.decay_steps": 500,
        "schedule.staircase": True,
    }
    study = optuna.create_study()
    study.enqueue_trial(enqueue_params(space, entry, total_steps))
    values = sample(study.ask(), space, total_steps=total_steps)
    assert values == entry


def test_overrides_are_hydra_grammar():
    assert to_override("schedule.staircase", True) == "schedule.staircase=true"
    assert to_override("schedule.boundaries", [10, 20]) == "schedule.boundaries=[10,20]"
    assert to_override("schedule.values", [0.1, 1e-05]) == "schedule.values=[0.1,1e-05]"
    assert to_override("schedule.warmup_target", None) == "schedule.warmup_target=null"
