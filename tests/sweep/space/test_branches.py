"""Branches: all_families' branches are each family's own sweep file."""

from __future__ import annotations

import pytest
import yaml
from hydra import compose, initialize_config_dir
from optuna.distributions import CategoricalDistribution

from lrsweep import ConfigError
from lrsweep._paths import config_dir
from lrsweep.schedules import FAMILIES
from lrsweep.sweep._settings import flatten
from lrsweep.sweep.space._branches import derive_branches
from lrsweep.sweep.space._grammar import parse_space

SWEEPS = config_dir() / "sweep"


def sweep_file_params(path: str) -> dict | None:
    """What the sweeper reads for ``sweep/<option>``: the file's ``hydra.sweeper.params``."""
    file = config_dir() / f"{path}.yaml"
    if not file.exists():
        return None
    return flatten(yaml.safe_load(file.read_text())["hydra"]["sweeper"]["params"])


def all_families_sweeper() -> dict:
    return yaml.safe_load((SWEEPS / "all_families.yaml").read_text())["hydra"]["sweeper"]


def composer(*fixed: str):
    def _compose(overrides: list[str]):
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            return compose("config", overrides=[*fixed, *overrides], return_hydra_config=True)

    return _compose


def test_every_registered_family_is_a_branch_with_its_own_sweep_files_params():
    sweeper = all_families_sweeper()
    params, conditional = derive_branches(sweeper.get("params") or {}, sweeper["conditional"], sweep_file_params)
    space = parse_space(params, conditional)
    chooser = space.params["schedule"]
    assert isinstance(chooser, CategoricalDistribution) and list(chooser.choices) == list(FAMILIES)
    assert sorted(conditional) == sorted(f"schedule={family}" for family in FAMILIES)
    for family in FAMILIES:
        assert conditional[f"schedule={family}"] == sweep_file_params(f"sweep/{family}"), family


def test_a_choice_narrowed_on_the_command_line_derives_only_its_branches():
    params, conditional = derive_branches(
        {"schedule": "choice(constant, one_cycle)"}, {"schedule": "sweep"}, sweep_file_params
    )
    assert sorted(conditional) == ["schedule=constant", "schedule=one_cycle"]
    assert params == {"schedule": "choice(constant, one_cycle)"}


def test_a_written_branch_wins_over_the_derived_one():
    own = {"schedule.initial_learning_rate": "interval(0.01, 0.1)"}
    _, conditional = derive_branches(
        {"schedule": "choice(constant, time_based)"},
        {"schedule": "sweep", "schedule=constant": own},
        sweep_file_params,
    )
    assert conditional["schedule=constant"] == own
    assert conditional["schedule=time_based"] == sweep_file_params("sweep/time_based")


def test_an_option_without_a_sweep_file_is_named():
    with pytest.raises(ConfigError, match=r"sweep/nope.yaml is missing"):
        derive_branches({"schedule": "choice(constant, nope)"}, {"schedule": "sweep"}, sweep_file_params)
