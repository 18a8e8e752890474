"""lrsweep/_internals.py: each private name of Optuna, Hydra and OmegaConf lrsweep reaches, on real objects, so an
upgrade that moves one fails here, by name."""

from __future__ import annotations

import importlib
import logging

import optuna
import pytest
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig, OmegaConf

from lrsweep import _internals
from lrsweep._paths import config_dir


def test_a_trials_storage_id_reads_it_back_and_reattaches_it():
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=0))
    first, second = study.ask(), study.ask()
    assert _internals.trial_id(first) != _internals.trial_id(second)
    stored = _internals.stored_trial(study, _internals.trial_id(second))
    assert stored.number == second.number and stored.state == optuna.trial.TrialState.RUNNING
    assert _internals.trial_id(stored) == _internals.trial_id(second)  # a FrozenTrial has one too
    attached = _internals.attach_trial(study, second.number)
    attached.report(0.5, step=0)  # as a job reports through the trial it reattached to
    assert study.trials[second.number].intermediate_values == {0: 0.5}
    attached.set_user_attr("seen", True)
    assert study.trials[second.number].user_attrs == {"seen": True}


def test_a_failed_jobs_error_without_the_stderr_line_of_return_value(capsys):
    error = ValueError("the trial broke")
    result = JobReturn(status=JobStatus.FAILED, _return_value=error)
    assert _internals.job_error(result) is error
    with pytest.raises(ValueError):  # the public way re-raises it, and writes to stderr: not for the sweep
        _ = result.return_value
    assert "Error executing job" in capsys.readouterr().err


def test_locate_finds_a_function_and_raises_for_none():
    assert _internals.locate("lrsweep._internals.locate") is _internals.locate
    with pytest.raises(ImportError):
        _internals.locate("lrsweep.no_such_module.fn")


def test_hydras_parser_and_repository_read_a_command_line_and_the_config_groups():
    arguments, unknown = _internals.args_parser().parse_known_args(["-m", "schedule=cosine_decay"])
    assert arguments.multirun and arguments.overrides == ["schedule=cosine_decay"] and unknown == []
    repository = _internals.config_repository(str(config_dir()))
    from hydra.core.object_type import ObjectType

    assert repository.group_exists("schedule")
    assert "cosine_decay" in repository.get_group_options("schedule", ObjectType.CONFIG)


def test_the_basic_launcher_is_told_apart_and_its_logger_named():
    from hydra.core.plugins import Plugins
    from hydra.plugins.launcher import Launcher

    launchers = {type(p).__name__: p for p in (cls() for cls in Plugins.instance().discover(Launcher))}
    assert _internals.is_basic_launcher(launchers["BasicLauncher"])
    assert not _internals.is_basic_launcher(launchers["JoblibLauncher"])
    module = importlib.import_module(_internals.BASIC_LAUNCHER_LOGGER)
    assert isinstance(module.log, logging.Logger) and module.log.name == _internals.BASIC_LAUNCHER_LOGGER


def test_a_config_node_is_read_without_resolving_it():
    config = OmegaConf.create({"url": "${oc.env:LRSWEEP_SURELY_UNSET}", "child": {"a": 1}})
    node = _internals.node_of(config, "url")
    assert node._is_interpolation()  # the node itself: config["url"] would try to resolve it, and fail
    assert isinstance(_internals.node_of(config, "child"), DictConfig)
