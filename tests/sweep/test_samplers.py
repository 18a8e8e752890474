"""Every sampler and pruner preset builds its Optuna class with its fields; what is not one is named, in one line."""

from __future__ import annotations

import optuna
import pytest
from omegaconf import OmegaConf

from hydra_plugins.lrsweep_sweeper.config import PRUNERS, SAMPLERS
from lrsweep import ConfigError
from lrsweep.sweep._samplers import build_sampler, checked
from lrsweep.sweep.space._grammar import parse_space

CLASSES = {
    "tpe": optuna.samplers.TPESampler,
    "random": optuna.samplers.RandomSampler,
    "qmc": optuna.samplers.QMCSampler,
    "cmaes": optuna.samplers.CmaEsSampler,
    "gp": optuna.samplers.GPSampler,
    "nsgaii": optuna.samplers.NSGAIISampler,
    "grid": optuna.samplers.GridSampler,
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_sampler_preset_builds_its_optuna_sampler(name):
    space = parse_space({"schedule.staircase": "choice(true, false)"})
    sampler, _ = build_sampler(OmegaConf.structured(SAMPLERS[name]), space, n_trials=4)
    assert type(sampler) is CLASSES[name]


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_every_pruner_preset_builds_an_optuna_pruner(name):
    assert isinstance(checked(OmegaConf.structured(PRUNERS[name]), "pruner"), optuna.pruners.BasePruner)


def test_the_official_tpe_fields_reach_the_sampler():
    node = OmegaConf.structured(SAMPLERS["tpe"])
    node.prior_weight, node.n_ei_candidates, node.consider_endpoints = 2.0, 7, True
    sampler = checked(node, "sampler")
    assert sampler._parzen_estimator_parameters.prior_weight == 2.0
    assert sampler._parzen_estimator_parameters.consider_endpoints is True
    assert sampler._n_ei_candidates == 7


@pytest.mark.parametrize("role", ["sampler", "pruner"])
def test_a_string_where_a_sampler_or_pruner_belongs_is_named_with_the_presets(role):
    with pytest.raises(ConfigError) as caught:
        checked("nope", role)
    presets = SAMPLERS if role == "sampler" else PRUNERS
    assert str(caught.value).startswith(f"`hydra.sweeper.{role}` must be a preset, hydra/sweeper/{role}=")
    assert "|".join(presets) in str(caught.value) and "Received: hydra.sweeper." in str(caught.value)


def test_arguments_optuna_refuses_are_named():
    node = OmegaConf.create({"_target_": "optuna.samplers.TPESampler", "no_such_argument": 1})
    with pytest.raises(ConfigError, match=r"`hydra.sweeper.sampler` must be arguments Optuna accepts"):
        checked(node, "sampler")


@pytest.mark.parametrize("name", sorted(set(SAMPLERS) - {"grid"}))
def test_a_presets_fields_are_its_optuna_constructors_arguments(name):
    """Every argument of the Optuna sampler is a field of its preset (null: Optuna's default), and nothing else."""
    import inspect

    fields = {key for key in OmegaConf.structured(SAMPLERS[name]) if not str(key).startswith("_")}
    assert fields == set(inspect.signature(CLASSES[name]).parameters)


def test_the_job_builds_the_studys_pruner():
    """One builder for the sweep and its jobs: the preset's pruner, or none in a study of several objectives."""
    from hydra_plugins.lrsweep_sweeper.config import MedianPrunerConf
    from lrsweep.sweep._samplers import build_pruner

    node = OmegaConf.structured(MedianPrunerConf)
    single = build_pruner(node, 1)
    assert isinstance(single, optuna.pruners.MedianPruner)
    assert isinstance(build_pruner(node, 2), optuna.pruners.NopPruner)
