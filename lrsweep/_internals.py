"""Every private name of Optuna, Hydra and OmegaConf that lrsweep uses, in one place, each with why no public API
serves. ``tests/test_internals.py`` exercises each one on real objects, so an upgrade that moves one fails there,
loudly, rather than somewhere in a sweep.

Nothing here is imported at start-up: each accessor imports what it reaches into when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import argparse

    from hydra._internal.core_plugins.basic_launcher import BasicLauncher
    from hydra.core.utils import JobReturn
    from hydra.plugins.launcher import Launcher
    from optuna import Study
    from optuna.trial import FrozenTrial, Trial

__all__ = [
    "BASIC_LAUNCHER_LOGGER",
    "args_parser",
    "attach_trial",
    "config_repository",
    "is_basic_launcher",
    "job_error",
    "locate",
    "node_of",
    "stored_trial",
    "trial_id",
]


# Optuna ------------------------------------------------------------------------------------------------------------


def trial_id(trial: Trial | FrozenTrial) -> int:
    """A trial's storage id. Optuna's storages (heartbeats, ``get_trial``) take ids, and neither ``Trial`` nor
    ``FrozenTrial`` exposes one publicly."""
    return int(trial._trial_id)


def stored_trial(study: Study, storage_id: int) -> FrozenTrial:
    """One trial as its storage holds it now, by id: one query, where ``study.get_trials()`` reads them all.
    ``Study`` has no public accessor for its storage."""
    return study._storage.get_trial(storage_id)


def attach_trial(study: Study, number: int) -> Trial:
    """The live ``Trial`` of trial ``number``, for a job in another process to report to and be pruned through.
    Optuna documents ``Trial(study, trial_id)`` as not for direct use, and offers no public way to reattach."""
    import optuna

    found = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    return optuna.trial.Trial(study, found)


# Hydra -------------------------------------------------------------------------------------------------------------


def job_error(result: JobReturn) -> BaseException:
    """The exception a failed Hydra job raised. ``JobReturn.return_value`` re-raises it and writes "Error executing
    job" to stderr; the sweep reports it in its own words instead."""
    error = result._return_value
    if isinstance(error, BaseException):
        return error
    return RuntimeError(f"the job ended {result.status.name} without an error (it returned {error!r})")


def locate(path: str) -> Any:
    """The object at a dotted path. ``hydra.utils.get_method`` and ``get_object`` log an ERROR line before they
    raise, and the caller turns the failure into its own one-line message."""
    from hydra._internal.utils import _locate

    return _locate(path)


def args_parser() -> argparse.ArgumentParser:
    """Hydra's own command-line parser, to read a command line as Hydra will before Hydra runs (no public one)."""
    from hydra._internal.utils import get_args_parser

    return get_args_parser()


def config_repository(config_dir: str) -> Any:
    """Hydra's config repository over ``config_dir`` and the plugins' search path: the groups and options Hydra
    will compose from, read before Hydra runs (no public API lists a group's options)."""
    from hydra._internal.config_repository import ConfigRepository
    from hydra._internal.utils import create_config_search_path

    return ConfigRepository(create_config_search_path(config_dir))


BASIC_LAUNCHER_LOGGER = "hydra._internal.core_plugins.basic_launcher"
"""The logger of Hydra's basic launcher, which logs a line per job ("Launching 1 jobs locally")."""


def is_basic_launcher(launcher: Launcher) -> TypeGuard[BasicLauncher]:
    """Whether ``launcher`` is Hydra's default one (``hydra/launcher=basic``), whose jobs lrsweep may run in its own
    warm workers. The class is not exported by a public module."""
    from hydra._internal.core_plugins.basic_launcher import BasicLauncher

    return isinstance(launcher, BasicLauncher)


# OmegaConf ---------------------------------------------------------------------------------------------------------


def node_of(config: Any, key: Any) -> Any:
    """A config's child node, unresolved: ``config[key]`` would resolve an interpolation (and fail on one that
    cannot be resolved yet); OmegaConf has no public accessor for the node itself."""
    return config._get_node(key)
