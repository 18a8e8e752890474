"""Baselines: an enqueue entry's values come from the composed preset, the entry's own values win."""

from __future__ import annotations

import pytest

from lrsweep import ConfigError
from lrsweep.sweep.space._baselines import PRESET, baseline
from lrsweep.sweep.space._branches import derive_branches
from lrsweep.sweep.space._grammar import parse_space
from tests.sweep.space.test_branches import all_families_sweeper, composer, sweep_file_params


def all_families_space():
    sweeper = all_families_sweeper()
    return parse_space(*derive_branches({}, sweeper["conditional"], sweep_file_params))


def test_preset_is_the_composed_setting_of_every_parameter():
    space = parse_space(sweep_file_params("sweep/exponential_decay"))
    compose_job = composer("+sweep=exponential_decay")
    values = baseline(PRESET, space, compose_job)
    assert values == {
        "schedule.initial_learning_rate": 0.001,
        "schedule.decay_steps": 500,
        "schedule.decay_rate": 0.98,
        "schedule.staircase": True,
    }


def test_a_tutorial_run_as_baseline_names_its_family_and_values():
    values = baseline({"+tutorial": "sgd_decay"}, all_families_space(), composer("+sweep=all_families"))
    assert values == {
        "schedule": "inverse_time_decay",
        "schedule.initial_learning_rate": 0.001,
        "schedule.decay_steps": 1,
        "schedule.decay_rate": 0.0002,
        "schedule.staircase": False,
    }


def test_values_given_in_an_entry_win_and_the_rest_come_from_the_preset():
    values = baseline(
        {"schedule": "cyclical", "schedule.mode": "triangular2"}, all_families_space(), composer("+sweep=all_families")
    )
    assert values["schedule"] == "cyclical" and values["schedule.mode"] == "triangular2"
    assert values["schedule.initial_learning_rate"] == 0.001  # conf/schedule/cyclical.yaml


def test_an_entry_that_is_not_an_override_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"hydra.sweeper.enqueue.*overrides of the config"):
        baseline({"+tutorial": "nope"}, all_families_space(), composer("+sweep=all_families"))
