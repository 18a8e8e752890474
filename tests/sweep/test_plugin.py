"""The Hydra plugin: registered where Hydra looks, light to import (Hydra imports it at every start-up), and its
schema the sweep settings' one declaration."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from hydra.core.config_store import ConfigStore
from omegaconf import ValidationError


def test_plugin_import_loads_no_heavy_library():
    code = (
        "import sys, hydra_plugins.lrsweep_sweeper.sweeper\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'jax', 'torch', 'mlflow', 'optuna') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_sweeper_sampler_and_pruner_presets_are_registered():
    import hydra_plugins.lrsweep_sweeper.config  # noqa: F401

    repo = ConfigStore.instance().repo["hydra"]["sweeper"]
    assert "lrsweep.yaml" in repo
    assert {"tpe.yaml", "random.yaml", "qmc.yaml", "cmaes.yaml", "grid.yaml"} <= set(repo["sampler"])
    assert {"median.yaml", "successive_halving.yaml", "hyperband.yaml", "none.yaml"} <= set(repo["pruner"])


def test_the_schema_declares_each_setting_once_with_its_one_default():
    """``hydra.sweeper``'s schema is made from ``SweepSettings``: the same fields in the same order, the same
    defaults, and what Hydra composes from it (the presets filled in) is ``DEFAULTS``."""
    from omegaconf import OmegaConf

    from hydra_plugins.lrsweep_sweeper.config import LRSweepSweeperConf
    from lrsweep.sweep._settings import DEFAULTS, PRESETS, SweepSettings

    schema = {f.name: f for f in dataclasses.fields(LRSweepSweeperConf)}
    assert [*schema][:3] == ["_target_", "_recursive_", "defaults"]
    assert [*schema][3:] == [f.name for f in dataclasses.fields(SweepSettings)]
    assert schema["defaults"].default_factory() == [{"sampler": PRESETS["sampler"]}, {"pruner": PRESETS["pruner"]}]
    node = OmegaConf.structured(LRSweepSweeperConf)
    for name in [*schema][3:]:
        if name in PRESETS:
            assert OmegaConf.is_missing(node, name)
        else:
            assert OmegaConf.to_container(node)[name] == getattr(DEFAULTS, name), name
    with pytest.raises(ValidationError):  # the types hold too: Hydra's "Could not override" for a typo'd value
        node.n_trials = "many"


def test_the_composed_sweeper_is_the_defaults():
    from hydra import compose, initialize_config_dir

    from lrsweep._paths import config_dir
    from lrsweep.sweep._settings import DEFAULTS, SweepSettings

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        config = compose("config", overrides=["hydra/sweeper=lrsweep"], return_hydra_config=True)
    settings = SweepSettings.from_hydra(config.hydra.sweeper)
    assert settings.sampler._target_ == "optuna.samplers.TPESampler"
    assert settings.pruner._target_ == "optuna.pruners.MedianPruner"
    for spec in dataclasses.fields(SweepSettings):
        if spec.name not in ("sampler", "pruner"):
            assert getattr(settings, spec.name) == getattr(DEFAULTS, spec.name), spec.name


def test_importing_the_sweep_engine_changes_no_global_state():
    """Optuna's log level and the warning filters change for the sweep's length, not when a module is imported."""
    code = (
        "import logging, os, warnings, optuna\n"
        "before = (optuna.logging.get_verbosity(), list(warnings.filters), dict(os.environ))\n"
        "import lrsweep.cli, lrsweep.sweep._sweeper, hydra_plugins.lrsweep_sweeper.sweeper\n"
        "after = (optuna.logging.get_verbosity(), list(warnings.filters), dict(os.environ))\n"
        "print(before == after)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
