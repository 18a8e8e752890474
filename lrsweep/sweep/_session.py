"""A sweep's session: the study joined (created, resumed or shared), its MLflow runs, lock and heartbeats.

:func:`open_session` builds everything a sweep's loop needs, once, and hands it over as one
:class:`SweepSession`; nothing is set on the sweeper halfway through.
"""

from __future__ import annotations

import logging
import os
import socket
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import TrialState

from lrsweep import _keys as keys
from lrsweep._errors import ConfigError
from lrsweep._internals import trial_id
from lrsweep._secrets import mask, remember_all, reveal
from lrsweep.sweep._fingerprint import bind
from lrsweep.sweep._samplers import build_pruner, build_sampler, checked
from lrsweep.sweep._settings import SweepSettings
from lrsweep.sweep.space._custom import Extend, custom_space
from lrsweep.sweep.space._grammar import SearchSpace
from lrsweep.sweep.space._lr_range import RangeTestRunner, narrow, study_range
from lrsweep.sweep.storage._heartbeat import Heartbeats, RetryStaleTrial, fail_stale_trials
from lrsweep.sweep.storage._lock import StudyLock
from lrsweep.sweep.storage._retry import Retry, retrying
from lrsweep.sweep.storage._study import connect_storage, open_study
from lrsweep.sweep.storage._urls import default_storage, normalize_url
from lrsweep.sweep.trials._queries import counts
from lrsweep.sweep.trials._writer import TrialRecords

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from optuna import Study
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler

    from lrsweep.tracking import StudyTracker, Tracker

__all__ = ["Compose", "SearchPlan", "SweepSession", "open_session", "plan_search"]

log = logging.getLogger("lrsweep.sweep")

Compose = Callable[[list[str]], "DictConfig"]
"""A job's composed config from its overrides (Hydra's ``load_sweep_config`` on the sweep's config)."""


@dataclass(frozen=True)
class SweepSession:
    """Everything the sweep's loop reads: built by :func:`open_session`, closed by :meth:`close`."""

    settings: SweepSettings
    study: Study
    space: SearchSpace
    fixed: list[str]
    storage: str  # masked: what the jobs are given
    n_trials: int
    total_steps: int | None
    segments: dict[str, int]
    runs: StudyTracker | None
    lock: StudyLock
    heartbeats: Heartbeats
    retry: Retry
    records: TrialRecords
    compose: Compose
    seed: int
    epochs: int
    extend: Extend | None = None  # hydra.sweeper.custom_search_space, bound to the sweep's config
    verifying: bool = False  # the loop runs the verification trials (n_trials: how many), not the search

    def close(self) -> None:
        self.heartbeats.close()
        self.lock.close()


@dataclass(frozen=True)
class SearchPlan:
    """How the study searches, checked before it exists: objectives, sampler, pruner, budget, custom hook."""

    objectives: list[str]
    directions: list[str]
    sampler: BaseSampler
    pruner: BasePruner
    n_trials: int
    extend: Extend | None


def plan_search(settings: SweepSettings, config: DictConfig, space: SearchSpace, pruner_named: bool) -> SearchPlan:
    """The study's objectives and directions, its sampler and pruner, and the custom hook, each checked (one line
    for a bad one) without opening anything. ``pruner_named``: the command line chose the pruner."""
    objectives, directions = _objectives(settings, config)
    _check_rungs(settings, config, space, len(directions))
    extend = custom_space(settings.custom_search_space, config)
    sampler, pruner, n_trials = _search(settings, space, len(directions), pruner_named)
    if settings.rung_epochs is not None and isinstance(sampler, optuna.samplers.GridSampler):
        allowed = "null with the grid sampler (promotions would take grid points' trials)"
        raise ConfigError("hydra.sweeper.rung_epochs", settings.rung_epochs, allowed)
    return SearchPlan(objectives, directions, sampler, pruner, n_trials, extend)


def open_session(
    settings: SweepSettings,
    config: DictConfig,
    space: SearchSpace,
    fixed: list[str],
    compose: Compose,
    run_length: tuple[int | None, dict[str, int]],
    plan: SearchPlan,
    baselines: list[dict[str, Any]],
    fingerprint: dict[str, str],
    range_test: RangeTestRunner | None = None,
    explicit: Collection[str] = (),
) -> SweepSession:
    """Connect to the study's storage and join the study under its lock: the first worker creates it, with
    ``baselines`` (the enqueued trials' params) and its ``fingerprint``; a run of another experiment does not join
    (:func:`~lrsweep.sweep._fingerprint.bind`)."""
    study_name = settings.study_name or config.hydra.runtime.choices.get("sweep") or "lrsweep"
    url = settings.storage or default_storage()  # masked already, unless it came through an interpolation
    remember_all(url)  # the jobs get the masked URL and reveal it from the environment
    stale = RetryStaleTrial(settings.max_retry, settings.stale_after_s)
    storage = connect_storage(
        url,
        heartbeat_interval=settings.heartbeat_interval,
        grace_period=settings.grace_period,
        stale_trial_callback=stale,
    )
    lock = StudyLock(normalize_url(reveal(url) or url), f"lrsweep:{study_name}")
    retry = retrying(url, settings.storage_timeout)
    with lock:  # the first worker creates the study, its baselines and its MLflow parent run; the others find them
        study = open_study(study_name, storage, directions=plan.directions, sampler=plan.sampler, pruner=plan.pruner)
        _check_directions(study, plan.directions, plan.objectives)
        bind(study, fingerprint, settings.resume, mask(url))
        _join(study, settings, space, plan.n_trials, baselines)
        runs = _study_runs(config, study, plan)
        stale.runs = runs
        if range_test is not None:
            space = _within_lr_range(study_range(study, runs, range_test), space, config, explicit)
        heartbeats = _heartbeats(study, storage, settings.heartbeat_interval)
    _announce(study, url, plan.n_trials, plan.directions, plan.objectives)
    return SweepSession(
        settings=settings,
        study=study,
        space=space,
        fixed=fixed,
        storage=mask(url),
        n_trials=plan.n_trials,
        total_steps=run_length[0],
        segments=run_length[1],
        runs=runs,
        lock=lock,
        heartbeats=heartbeats,
        retry=retry,
        records=TrialRecords(study, runs, retry, worker=f"{socket.gethostname()}:{os.getpid()}"),
        compose=compose,
        seed=int(config.trainer.seed),
        epochs=int(config.trainer.epochs),
        extend=plan.extend,
    )


def _heartbeats(study: Study, storage: Any, interval: int | None) -> Heartbeats:
    """This worker's heartbeats; trials left RUNNING by a worker that died before it ever beat get one beat now,
    so they go stale."""
    fail_stale_trials(study)
    heartbeats = Heartbeats(storage, interval)
    if interval is not None:
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        heartbeats.beat_once([trial_id(t) for t in running])
    return heartbeats


def _search(
    settings: SweepSettings, space: SearchSpace, objectives: int, pruner_named: bool
) -> tuple[BaseSampler, BasePruner, int]:
    """The sampler, the pruner and the trials the sampler can give, checked before the study is opened."""
    sampler, n_trials = build_sampler(settings.sampler, space, settings.n_trials)
    pruner: BasePruner = checked(settings.pruner, "pruner")
    if objectives > 1 and isinstance(sampler, optuna.samplers.CmaEsSampler):
        allowed = "a multi-objective sampler: tpe, nsgaii, gp, random or qmc (CMA-ES is single-objective)"
        raise ConfigError("hydra.sweeper.sampler", "cmaes", allowed)
    if objectives > 1 and pruner_named and not isinstance(pruner, optuna.pruners.NopPruner):
        allowed = f"none for a study of {objectives} objectives (Optuna's pruners are single-objective)"
        raise ConfigError("hydra/sweeper/pruner", type(pruner).__name__, allowed)
    if objectives > 1 and settings.verify_top:
        allowed = f"0 in a study of {objectives} objectives (verification ranks one objective's mean over seeds)"
        raise ConfigError("hydra.sweeper.verify_top", settings.verify_top, allowed)
    if objectives > 1:
        log.info("pruning is off: Optuna's pruners are single-objective, and this study has %d objectives", objectives)
    elif settings.rung_epochs is not None and not isinstance(pruner, optuna.pruners.NopPruner):
        log.info("rung_epochs=%d: the short runs are the early stopping; the %s judges no trial",
                 settings.rung_epochs, type(pruner).__name__)  # fmt: skip
    return sampler, build_pruner(pruner, objectives), n_trials


def _announce(study: Study, url: str, n_trials: int, directions: list[str], objectives: list[str]) -> None:
    done, running = counts(study)
    goals = ", ".join(f"{direction} {name}" for direction, name in zip(directions, objectives, strict=True))
    log.info(
        "study '%s' in %s: %d of %d trials done, %d running, %s",
        study.study_name, mask(url), done, n_trials, running, goals,
    )  # fmt: skip


def _check_rungs(settings: SweepSettings, config: DictConfig, space: SearchSpace, objectives: int) -> None:
    """``rung_epochs`` shorter than the full run, in a single-objective study whose epochs are not searched."""
    rung, epochs = settings.rung_epochs, int(config.trainer.epochs)
    if rung is None:
        return
    if rung >= epochs:
        raise ConfigError("hydra.sweeper.rung_epochs", rung, f"fewer epochs than trainer.epochs ({epochs}) or null")
    if objectives > 1:
        raise ConfigError("hydra.sweeper.rung_epochs", rung, "null in a multi-objective study (short runs are ranked)")
    if any((name.partition("/")[2] or name) == "trainer.epochs" for name in space.keys()):  # noqa: SIM118
        raise ConfigError("hydra.sweeper.rung_epochs", rung, "null where the space searches trainer.epochs")
    from lrsweep.training import MEASURED, objective_names

    if objective_names(config.trainer)[0] in MEASURED:
        allowed = "null for an objective measured only at the end of a run (short runs rank by their last epoch)"
        raise ConfigError("hydra.sweeper.rung_epochs", rung, allowed)
    if settings.n_trials < 2:
        raise ConfigError("hydra.sweeper.rung_epochs", rung, "null with n_trials < 2 (a short run, then a full one)")


def _objectives(settings: SweepSettings, config: DictConfig) -> tuple[list[str], list[str]]:
    """The study's objectives (``trainer.objective``) and their directions: ``hydra.sweeper.direction`` when set
    (one per objective), else each objective's own."""
    from lrsweep.training import objective_names, trainer_directions

    objectives = objective_names(config.trainer)
    if settings.direction is None:
        return objectives, trainer_directions(config.trainer)
    directions = [settings.direction] if isinstance(settings.direction, str) else list(settings.direction)
    if len(directions) != len(objectives):
        raise ConfigError(
            "hydra.sweeper.direction", settings.direction, f"{len(objectives)} direction(s), one per trainer.objective "
            f"{objectives} (a multi-objective study lists both: trainer.objective=[val_accuracy,fit_seconds])",
        )  # fmt: skip
    return objectives, directions


def _check_directions(study: Study, directions: list[str], objectives: list[str]) -> None:
    """A resumed study keeps its objectives: another number of them is one line, before anything is written."""
    if len(study.directions) != len(directions):
        had = [d.name.lower() for d in study.directions]
        raise ConfigError(
            "hydra.sweeper.direction", directions, f"{len(had)} direction(s) like the existing study "
            f"'{study.study_name}' ({had}): name another study (hydra.sweeper.study_name) for other objectives",
        )  # fmt: skip
    if study.metric_names != objectives:
        with warnings.catch_warnings():  # experimental in name only since Optuna 3.2
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(objectives)


def _join(
    study: Study, settings: SweepSettings, space: SearchSpace, n_trials: int, baselines: list[dict[str, Any]]
) -> None:
    """Count this worker in; record the budget; a new study gets its baselines and attrs."""
    ordinal = int(study.user_attrs.get(keys.STUDY_WORKERS, 0))
    study.set_user_attr(keys.STUDY_WORKERS, ordinal + 1)
    # The largest budget any run of the study was given: `lrsweep check` flags more finished trials.
    study.set_user_attr(keys.STUDY_BUDGET, max(n_trials, int(study.user_attrs.get(keys.STUDY_BUDGET, 0))))
    if ordinal:
        study.sampler = build_sampler(settings.sampler, space, n_trials, ordinal)[0]
    if not study.trials:
        for params in baselines:
            study.enqueue_trial(params, user_attrs={keys.TRIAL_BASELINE: True}, skip_if_exists=True)
    for key, value in settings.study_attrs.items():
        study.set_user_attr(key, value)


def _within_lr_range(
    record: dict[str, Any], space: SearchSpace, config: DictConfig, explicit: Collection[str]
) -> SearchSpace:
    if "lower" not in record:
        log.warning("lr_range=auto: no usable range (%s); the sweep file's bounds stay", record.get("error"))
        return space
    from lrsweep.schedules import get_family

    narrowed, changed = narrow(
        space,
        float(record["lower"]),
        float(record["upper"]),
        str(config.schedule.family),
        lambda family: get_family(family).learning_rate_fields(),
        explicit,
    )
    log.info(
        "lr_range=auto: usable LR %.2e … %.2e (range test of %s steps); narrowed %s",
        record["lower"], record["upper"], record.get("steps_run"), ", ".join(changed) or "nothing",
    )  # fmt: skip
    return narrowed


def _study_runs(config: DictConfig, study: Study, plan: SearchPlan) -> StudyTracker | None:
    """The study's side of the sweep's tracker (its parent run), where the tracker keeps one (``tracking=none``
    does not)."""
    from hydra.utils import instantiate as hydra_instantiate

    tracker: Tracker = hydra_instantiate(config.tracking)
    settings = {
        "n_trials": str(plan.n_trials),
        "direction": ",".join(plan.directions),
        "sampler": type(plan.sampler).__name__,
        "pruner": type(plan.pruner).__name__,
        "objective": ",".join(plan.objectives),
    }
    return tracker.study_tracker(study, settings, plan.objectives)
