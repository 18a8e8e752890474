"""The Optuna sweep behind ``hydra/sweeper=lrsweep``: ask a trial, launch its job, tell the outcome.

Each trial is one Hydra job per seed (``repeats``), run through the configured launcher or, for ``n_jobs > 1``
with Hydra's basic launcher, in warm worker processes (:mod:`lrsweep.sweep._slots`). The job reattaches to its
trial through the study storage, reports the objective after every epoch and stops when the pruner says so; the
sweep tells Optuna the outcome (COMPLETE, PRUNED or FAIL with the reason) and records it on the trial's MLflow
child run.
The study's budget is its total: a re-run of the same command resumes it and stops at ``n_trials``
COMPLETE-or-PRUNED trials. Any number of workers (the same command on other machines, with a shared storage)
can share the study: each asks for a trial under the study's lock (:mod:`lrsweep.sweep._lock`) only while
finished plus running trials are fewer than ``n_trials``, keeps its running trials' heartbeats
(:mod:`lrsweep.sweep._heartbeat`), re-runs the trials of workers that died, and waits out a database outage
(:mod:`lrsweep.sweep._retry`).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import socket
import statistics
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from hydra.core.plugins import Plugins
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState

from lrsweep._errors import ConfigError, LRSweepError
from lrsweep._secrets import mask, remember_all, reveal
from lrsweep.sweep._devices import keep_off_accelerators, visible_accelerators
from lrsweep.sweep._heartbeat import Heartbeats, RetryStaleTrial, fail_stale_trials
from lrsweep.sweep._lock import StudyLock
from lrsweep.sweep._progress import SweepProgress
from lrsweep.sweep._retry import retrying
from lrsweep.sweep._sample import enqueue_params, sample, to_override
from lrsweep.sweep._slots import InlineSlots
from lrsweep.sweep._space import SearchSpace, grid_values, parse_space
from lrsweep.sweep._study import connect_storage, default_storage, normalize_url, open_study

__all__ = ["OptunaSweep", "SweepStopped"]

log = logging.getLogger("lrsweep.sweep")
optuna.logging.set_verbosity(optuna.logging.WARNING)
# Enqueued baselines (the tutorial's settings) may lie outside the searched ranges, on purpose.
warnings.filterwarnings("ignore", message=r"Fixed parameter .* is out of range")
# lrsweep keeps the heartbeat of the trials it asks for itself (see _heartbeat).
warnings.filterwarnings("ignore", message=r"Heartbeat of storage is supposed to be used with Study.optimize")
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning, message=r"Argument ``heartbeat")

_DONE = (TrialState.COMPLETE, TrialState.PRUNED)


class SweepStopped(LRSweepError):
    """The sweep stopped before its budget: too many failed trials."""


def _merge_arguments(params: Mapping[str, Any] | None, arguments: Sequence[str]) -> dict[str, Any]:
    """``params`` with the command line's overrides on top (a fixed value there removes a key from the space)."""
    merged = dict(params or {})
    for argument in arguments:
        key, _, expression = argument.partition("=")
        merged[key] = expression
    return merged


class OptunaSweep:
    """The sweep; constructed by :class:`hydra_plugins.lrsweep_sweeper.sweeper.LRSweepSweeper`."""

    def __init__(
        self,
        sampler: Any,
        pruner: Any,
        study_name: str | None,
        storage: str | None,
        direction: str | None,
        n_trials: int,
        n_jobs: int | str,
        repeats: int,
        timeout: float | None,
        max_failure_rate: float,
        params: Mapping[str, Any] | None,
        conditional: Mapping[str, Any] | None,
        enqueue: Sequence[Mapping[str, Any]],
        study_attrs: Mapping[str, Any] | None = None,
        heartbeat_interval: int | None = 10,
        grace_period: int | None = 60,
        max_retry: int | None = 3,
        storage_timeout: float = 600.0,
    ) -> None:
        self._sampler_node = sampler
        self.sampler, self.pruner = _instantiate(sampler), _instantiate(pruner)
        self.study_name, self.storage, self.direction = study_name, storage, direction
        self.n_trials, self.n_jobs, self.repeats = n_trials, n_jobs, repeats
        self.timeout, self.max_failure_rate = timeout, max_failure_rate
        self.params = _flatten(_plain(params) or {})
        self.conditional = {choice: _flatten(branch) for choice, branch in (_plain(conditional) or {}).items()}
        self.enqueue = _plain(enqueue) or []
        self.study_attrs = _plain(study_attrs) or {}
        self.heartbeat_interval, self.grace_period = heartbeat_interval, grace_period
        self.max_retry, self.storage_timeout = max_retry, storage_timeout
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    # -------------------------------------------------------------------------------------------- settings

    def _check_settings(self) -> None:
        if self.n_trials < 1:
            raise ConfigError("hydra.sweeper.n_trials", self.n_trials, ">= 1")
        if self.n_jobs != "auto" and not (type(self.n_jobs) is int and self.n_jobs >= 1):
            raise ConfigError("hydra.sweeper.n_jobs", self.n_jobs, "an int >= 1 or auto")
        if self.repeats < 1:
            raise ConfigError("hydra.sweeper.repeats", self.repeats, ">= 1")
        if not 0.0 <= self.max_failure_rate <= 1.0:
            raise ConfigError("hydra.sweeper.max_failure_rate", self.max_failure_rate, "in [0.0, 1.0]")
        if self.direction not in (None, "maximize", "minimize"):
            raise ConfigError("hydra.sweeper.direction", self.direction, "one of ['maximize', 'minimize'] or null")
        if self.heartbeat_interval is not None and self.heartbeat_interval < 1:
            raise ConfigError("hydra.sweeper.heartbeat_interval", self.heartbeat_interval, ">= 1 (seconds) or null")
        if self.grace_period is not None and (
            self.grace_period < 1
            or (self.heartbeat_interval is not None and self.grace_period <= self.heartbeat_interval)
        ):
            raise ConfigError(
                "hydra.sweeper.grace_period", self.grace_period, "more seconds than hydra.sweeper.heartbeat_interval"
            )
        if self.max_retry is not None and self.max_retry < 0:
            raise ConfigError("hydra.sweeper.max_retry", self.max_retry, ">= 0 or null (no limit)")
        if self.storage_timeout < 0:
            raise ConfigError("hydra.sweeper.storage_timeout", self.storage_timeout, ">= 0 (seconds)")

    def _direction(self) -> str:
        if self.direction is not None:
            return self.direction
        from lrsweep.training import trainer_direction

        return trainer_direction(self.config.trainer)

    def _study_name(self) -> str:
        choices = self.config.hydra.runtime.choices
        return self.study_name or choices.get("sweep") or "lrsweep"

    def _sampler(self, space: SearchSpace, ordinal: int = 0) -> tuple[Any, int]:
        """The sampler and the number of trials it can give; worker ``ordinal`` > 0 samples with seed + ordinal.

        Workers sharing a study (and each resumed run) count as workers 0, 1, 2, …: with one seed for all, their
        random start-up trials would repeat each other's.
        """
        sampler, n_trials = self.sampler, self.n_trials
        node = self._sampler_node
        if ordinal and isinstance(node, DictConfig) and node.get("seed") is not None:
            sampler = _instantiate(node, seed=int(node.seed) + ordinal)
        if isinstance(sampler, functools.partial) and sampler.func is optuna.samplers.GridSampler:
            if space.conditional:
                raise ConfigError("hydra.sweeper.sampler", "grid", "a sampler other than grid for conditional spaces")
            grid = {name: grid_values(name, distribution) for name, distribution in space.params.items()}
            sampler = sampler(search_space=grid)
            n_trials = min(n_trials, math.prod(len(values) for values in grid.values()))
        return sampler, n_trials

    def _tracker(self, study_name: str) -> Any:
        from hydra.utils import instantiate

        from lrsweep.tracking import MLflowTracker

        tracker = instantiate(self.config.tracking)
        if isinstance(tracker, MLflowTracker):
            tracker.experiment_name = study_name
            return tracker
        return None

    def _enqueue_baselines(self, study: Any, space: SearchSpace, total_steps: int | None) -> None:
        choices = {
            name: set(spec.choices)
            for name, spec in [*space.params.items(), *(i for b in space.conditional.values() for i in b.items())]
            if isinstance(spec, CategoricalDistribution)
        }
        for entry in self.enqueue:
            params = enqueue_params(space, dict(entry), total_steps)
            outside = [name for name, value in params.items() if name in choices and value not in choices[name]]
            if outside:  # e.g. a space narrowed on the command line: a choice cannot be forced
                log.info("not enqueued (%s not among the choices): %s", ", ".join(outside), dict(entry))
                continue
            study.enqueue_trial(params, skip_if_exists=True)

    def _run_length(self, space: SearchSpace) -> tuple[int | None, dict[str, int]]:
        """Optimizer steps in one run (for structured params) and segment counts of fixed boundaries."""
        segments = {}
        schedule = self.config.schedule
        if "boundaries" in schedule and "values" in schedule:
            segments["schedule.values"] = len(schedule.boundaries) + 1
        if not space.structured:
            return None, segments
        from lrsweep.data import train_images

        trainer = self.config.trainer
        images = train_images(self.config.data)
        if images is not None:
            return int(trainer.epochs) * -(-images // int(trainer.batch_size)), segments
        if self.config.data.get("_target_") == "lrsweep.data.load_fashion_mnist":
            return None, segments  # not downloaded yet
        from lrsweep.training import trial_data
        from lrsweep.training._trial import _instantiate

        steps = trial_data(self.config.data, _instantiate).steps_per_epoch(int(trainer.batch_size))
        return int(trainer.epochs) * steps, segments

    # ---------------------------------------------------------------------------------------------- sweep

    def sweep(self, arguments: list[str]) -> Any:
        self._check_settings()
        space = parse_space(_merge_arguments(self.params, arguments), self.conditional)
        fixed = [f"{key}={value}" for key, value in space.fixed.items()]
        environ = dict(os.environ)
        accelerators = visible_accelerators() if self._own_workers() else []
        if accelerators:  # the workers use the GPUs; this process (checks, the study, MLflow) keeps off them
            keep_off_accelerators()
        job_config = self._check_job_config(fixed)
        self._plan_workers(accelerators, job_config, environ)
        study_name, direction = self._study_name(), self._direction()
        url = self.storage or default_storage()  # masked already, unless it came through an interpolation
        remember_all(url)  # the jobs get the masked URL and reveal it from the environment
        sampler, n_trials = self._sampler(space)
        grace = self.grace_period or 2 * (self.heartbeat_interval or 0)
        stale = RetryStaleTrial(self.max_retry, grace)
        storage = connect_storage(
            url,
            heartbeat_interval=self.heartbeat_interval,
            grace_period=self.grace_period,
            stale_trial_callback=stale,
        )
        self._retry = retrying(url, self.storage_timeout)
        self.total_steps, self.segments = self._run_length(space)
        tracker = self._tracker(study_name)
        lock = StudyLock(normalize_url(reveal(url) or url), f"lrsweep:{study_name}")
        with lock:  # the first worker creates the study, its baselines and its MLflow parent run; the others find them
            study = open_study(study_name, storage, direction=direction, sampler=sampler, pruner=self.pruner)
            ordinal = int(study.user_attrs.get("lrsweep.workers", 0))
            study.set_user_attr("lrsweep.workers", ordinal + 1)
            # The largest budget any run of the study was given: `lrsweep check` flags more finished trials.
            study.set_user_attr("lrsweep.n_trials", max(n_trials, int(study.user_attrs.get("lrsweep.n_trials", 0))))
            if ordinal:
                study.sampler = self._sampler(space, ordinal)[0]
            if not study.trials:
                self._enqueue_baselines(study, space, self.total_steps)
            for key, value in self.study_attrs.items():
                study.set_user_attr(key, value)
            runs = self._study_runs(tracker, study, n_trials, direction, sampler)
            stale.runs = runs
            # Trials left RUNNING by a worker that died before it ever beat get one beat now, so they go stale.
            fail_stale_trials(study)
            heartbeats = Heartbeats(storage, self.heartbeat_interval)
            if self.heartbeat_interval is not None:
                heartbeats.beat_once(
                    [t._trial_id for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
                )

        counts = _counts(study)
        log.info(
            "study '%s' in %s: %d of %d trials done, %d running, %s %s",
            study_name,
            mask(url),
            counts[0],
            n_trials,
            counts[1],
            direction,
            self.config.trainer.objective,
        )
        self._study, self._space, self._fixed, self._storage, self._runs = study, space, fixed, mask(url), runs
        self._lock, self._heartbeats = lock, heartbeats
        status = "FAILED"
        progress = SweepProgress(study_name, n_trials, counts[0], int(self.config.trainer.epochs))
        slots = self._slots()
        if isinstance(slots, InlineSlots):
            import keras  # noqa: F401  (its backend's start-up lines go before the progress bar, not through it)
        try:
            with progress:
                self._loop(slots, n_trials, progress)
            status = "FINISHED"
        except KeyboardInterrupt:
            status = "KILLED"
            raise
        finally:
            slots.close(cancel=status != "FINISHED")
            heartbeats.close()
            lock.close()
            if runs is not None:
                self._close_parent(runs, status)
        self._summary(study, url, runs)
        return study

    def _study_runs(self, tracker: Any, study: Any, n_trials: int, direction: str, sampler: Any) -> Any:
        if tracker is None:
            return None
        from lrsweep.sweep._runs import StudyRuns

        settings = {
            "n_trials": str(n_trials),
            "direction": direction,
            "sampler": type(sampler).__name__,
            "pruner": type(self.pruner).__name__,
            "objective": str(self.config.trainer.objective),
        }
        return StudyRuns(tracker, study, settings)

    def _close_parent(self, runs: Any, status: str) -> None:
        """End the study's MLflow run, unless other workers still run trials of the study."""
        try:
            if _counts(self._study)[1] == 0:
                runs.finish(status)
        except Exception as error:  # the storage or MLflow is gone: the trials are what matters
            log.warning("could not close the study's MLflow run: %s", error)

    def _check_job_config(self, fixed: list[str]) -> DictConfig:
        """Compose one job's config and validate it, so bad input stops the sweep before any training."""
        from lrsweep.data import check_available
        from lrsweep.training import check_data, check_optimizer, validate

        config = self.hydra_context.config_loader.load_sweep_config(self.config, list(fixed))
        validate(config)
        if config.data.get("_target_") == "lrsweep.data.load_fashion_mnist":
            check_available(config.data)  # the files, read: the trials load them
        else:
            check_data(config)  # the user's data, built once here (and kept for this process's trials)
        check_optimizer(config)
        return config

    def _own_workers(self) -> bool:
        """Whether trials may run in this sweep's own worker processes (Hydra's basic launcher, not n_jobs=1)."""
        from hydra._internal.core_plugins.basic_launcher import BasicLauncher

        return isinstance(self.launcher, BasicLauncher) and self.n_jobs != 1

    def _plan_workers(self, accelerators: list[Any], job_config: DictConfig, environ: dict[str, str]) -> None:
        """Resolve ``n_jobs`` (``auto``: trials_per_device x GPUs, 1 without a GPU) and each worker's environment."""
        from lrsweep._backend import backend_name
        from lrsweep.sweep._devices import trials_per_device, worker_environments

        self.jobs = self.n_jobs if type(self.n_jobs) is int else 1
        self.environments: list[dict[str, str | None]] = []
        if not accelerators:
            return
        if self.n_jobs == "auto":
            from lrsweep.training._footprint import footprint_mib

            footprint = footprint_mib(job_config)
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            per_device = min(trials_per_device(gpu, footprint, cpus, len(accelerators)) for gpu in accelerators)
            self.jobs = per_device * len(accelerators)
            log.info(
                "n_jobs=auto: %d trials at a time, %d on each of %d GPU(s) (%s, %d MiB free; about %.0f MiB per trial)",
                self.jobs,
                per_device,
                len(accelerators),
                accelerators[0].name,
                accelerators[0].free_mib,
                footprint,
            )
        self.environments = worker_environments(self.jobs, accelerators, backend_name(), environ)

    def _slots(self) -> Any:
        from hydra._internal.core_plugins.basic_launcher import BasicLauncher

        from lrsweep.sweep._slots import LauncherSlots, ProcessSlots

        launcher = self.launcher
        if isinstance(launcher, BasicLauncher) and (self.jobs > 1 or self.environments):
            return ProcessSlots(self.jobs, self.hydra_context, self.config, launcher.task_function, self.environments)
        if self.jobs > 1:  # joblib, submitit, ray, …: n_jobs trials per launch
            return LauncherSlots(self.launcher, self.jobs)
        return InlineSlots(self.launcher)

    def _poll_s(self) -> float:
        return float(self.heartbeat_interval or 5)

    def _loop(self, slots: Any, n_trials: int, progress: SweepProgress) -> None:
        """Keep every slot busy until the budget is met: a freed slot asks for the next trial at once.

        With free slots and the budget covered by other workers' running trials, wait: if one of those workers
        dies, its trial goes stale after the grace period and its parameters come back as a waiting trial.
        """
        from concurrent.futures import FIRST_COMPLETED, wait

        started, ended, failed = time.monotonic(), 0, 0
        running: dict[Any, tuple[Any, str | None]] = {}
        starting: list[Any] = []  # a trial between ask and submit (the inline slot runs it inside submit)
        try:
            while True:
                timed_out = self.timeout is not None and time.monotonic() - started > self.timeout
                while len(running) < self.jobs and not timed_out:
                    trial = self._retry(lambda: self._claim(n_trials, progress), "asking for a trial")
                    if trial is None:
                        break
                    starting.append((trial, None))
                    run_id, jobs = self._start(trial, progress)
                    starting[-1] = (trial, run_id)
                    # Job numbers (and so output folders) follow trial numbers: unique across workers.
                    running[slots.submit(jobs, trial.number * self.repeats)] = (trial, run_id)
                    starting.clear()
                slots.flush()
                if timed_out and not running:
                    log.info("timeout of %s s reached: no new trial starts", self.timeout)
                    return
                if not running:
                    done, others = self._retry(lambda: _counts(self._study), "counting trials")
                    progress.set_done(done)
                    if done >= n_trials or others == 0 or self.heartbeat_interval is None:
                        return
                    time.sleep(self._poll_s())  # other workers' trials cover the budget: see that they finish
                    continue
                idle = len(running) < self.jobs
                finished, _ = wait(running, timeout=self._poll_s() if idle else None, return_when=FIRST_COMPLETED)
                for future in finished:
                    trial, run_id = running.pop(future)
                    state = self._finish(trial, run_id, future.result(), progress)
                    ended += 1
                    failed += state == TrialState.FAIL
                if ended >= 3 and failed / ended > self.max_failure_rate:
                    raise SweepStopped(
                        f"{failed} of the last {ended} trials failed (more than hydra.sweeper.max_failure_rate="
                        f"{self.max_failure_rate}); see the failure reasons in the study's trials "
                        "(user attr fail_reason) or the MLflow runs (tag lrsweep.failure_reason)"
                    )
        except BaseException as error:
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else f"the sweep stopped: {error}"
            for trial, run_id in [*running.values(), *starting]:
                self._abandon(trial, run_id, reason)
            raise

    def _claim(self, n_trials: int, progress: SweepProgress) -> Any:
        """Under the study's lock: a new (or waiting) trial if finished plus running trials are below the budget."""
        study = self._study
        with self._lock:
            fail_stale_trials(study)
            done, running = _counts(study)
            progress.set_done(done)
            if done + running >= n_trials:
                return None
            trial = study.ask()
            self._heartbeats.add(trial._trial_id)
        return trial

    def _start(self, trial: Any, progress: SweepProgress) -> tuple[str | None, list[list[str]]]:
        """Sample a trial, make its MLflow run, and write its jobs' overrides (one per repeat)."""
        study, runs, retry = self._study, self._runs, self._retry
        values = retry(lambda: sample(trial, self._space, self.total_steps, self.segments), "sampling a trial")
        sampled = [to_override(k, v) for k, v in values.items()]
        family = str(values.get("schedule") or self.config.schedule.family)
        attrs = {"overrides": sampled, "family": family, "worker": self.worker}
        retry(lambda: [trial.set_user_attr(k, v) for k, v in attrs.items()], "recording a trial")
        run_id = None
        if runs is not None:
            run_id = runs.child(trial.number)
            retry(lambda: trial.set_user_attr("mlflow_run_id", run_id), "recording a trial")
        jobs = []
        for repeat in range(self.repeats):
            overrides = [*self._fixed, *sampled]
            if repeat == 0:  # the first seed reports to the trial and may be pruned
                overrides += [
                    f"optuna.study_name='{study.study_name}'",
                    f"optuna.storage='{self._storage}'",
                    f"optuna.trial_number={trial.number}",
                ]
            if self.repeats > 1:
                overrides.append(f"trainer.seed={int(self.config.trainer.seed) + repeat}")
            if runs is not None:
                overrides.append(f"tracking.experiment_name='{study.study_name}'")
                if repeat == 0:
                    overrides += [f"tracking.run_id={run_id}", f"tracking.parent_run_id={runs.parent_run_id}"]
                else:  # further seeds: runs nested under the trial's run
                    overrides += [
                        f"tracking.parent_run_id={run_id}",
                        f"tracking.run_name=trial-{trial.number}-seed-{repeat}",
                    ]
            jobs.append(overrides)
        progress.trial_started(trial.number, family)
        return run_id, jobs

    def _finish(self, trial: Any, run_id: str | None, outcomes: list[Any], progress: SweepProgress) -> TrialState:
        """Tell Optuna how the trial ended (the mean over seeds), and record it on its MLflow run."""
        study, runs, retry = self._study, self._runs, self._retry
        last = outcomes[-1]
        state, reason, value = last.state, last.reason, None
        attrs: dict[str, Any] = {}
        if state == TrialState.COMPLETE:
            values = [o.value for o in outcomes]
            value = statistics.fmean(values)
            if len(values) > 1:
                attrs.update(objective_values=values, objective_std=statistics.stdev(values))
        if reason is not None:
            attrs["fail_reason"] = reason
        told = retry(lambda: self._tell(trial, attrs, values=value, state=state), "reporting a finished trial")
        self._heartbeats.remove(trial._trial_id)
        if not told:  # another worker declared it lost meanwhile (no heartbeat for the grace period)
            state, reason = TrialState.FAIL, "its heartbeat lapsed while it ran; another worker failed it"
            log.warning("trial %d: %s, so its result is not counted", trial.number, reason)
        recorded = retry(lambda: study._storage.get_trial(trial._trial_id), "reading a trial")
        best = retry(lambda: _best(study), "reading the best trial")
        done = retry(lambda: _counts(study)[0], "counting trials")
        if runs is not None and run_id is not None:
            runs.finish_child(run_id, state.name, recorded.value if told else None, reason)
            if best is not None and best[0] == trial.number:
                runs.log_best(*best)
        progress.set_done(done)
        progress.trial_finished(trial.number, state.name, recorded.value if told else None, best)
        return state

    def _tell(self, trial: Any, attrs: Mapping[str, Any], **kwargs: Any) -> bool:
        """Set the trial's user attrs and tell its outcome; False if the trial was already finished elsewhere.

        Run again after a lost connection, it finds the trial already told (by itself) and returns True.
        """
        stored = self._study._storage.get_trial(trial._trial_id)
        if stored.state.is_finished():
            return stored.user_attrs.get("told_by") == self.worker
        for key, value in {**attrs, "told_by": self.worker}.items():
            trial.set_user_attr(key, value)
        _tell(self._study, trial, **kwargs)
        return True

    def _abandon(self, trial: Any, run_id: str | None, reason: str) -> None:
        """Mark a trial that will not finish FAIL, so a re-run of the sweep replaces it."""
        try:
            self._tell(trial, {"fail_reason": reason}, state=TrialState.FAIL)
            self._heartbeats.remove(trial._trial_id)
            if self._runs is not None and run_id is not None:
                self._runs.finish_child(run_id, "FAIL", None, reason)
        except Exception as error:  # e.g. the storage is down: its heartbeat stops, another worker fails it
            log.warning("could not mark trial %d failed (%s)", trial.number, str(error).splitlines()[0])

    def _summary(self, study: Any, storage: str, runs: Any) -> None:
        best = _best(study)
        lines = [f"study '{study.study_name}' · storage {mask(storage)}"]
        if best is not None:
            trial = study.trials[best[0]]
            lines.append(f"best trial #{trial.number}: {self.config.trainer.objective} = {trial.value:.4f}")
            lines += [f"  {override}" for override in trial.user_attrs.get("overrides", [])]
        lines.append(f"optuna-dashboard {mask(storage)}")
        if runs is not None:
            from lrsweep.tracking import ui_lines

            lines += ui_lines(runs.tracker.tracking_uri, runs.experiment_id)
        print("\n".join(lines))


def _counts(study: Any) -> tuple[int, int]:
    """(COMPLETE + PRUNED trials, RUNNING trials) of the study, read from its storage now."""
    trials = study.get_trials(deepcopy=False, states=(*_DONE, TrialState.RUNNING))
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return len(trials) - running, running


def _tell(study: Any, trial: Any, **kwargs: Any) -> None:
    """``study.tell``; the grid sampler's "grid exhausted" ``study.stop()`` only makes sense inside optimize()."""
    try:
        study.tell(trial, **kwargs)
    except RuntimeError as error:
        if "Study.stop" not in str(error):
            raise


def _best(study: Any) -> tuple[int, float] | None:
    try:
        trial = study.best_trial
    except ValueError:
        return None
    return trial.number, float(trial.value)


def _instantiate(node: Any, **overrides: Any) -> Any:
    """A sampler or pruner from its config node (``_target_`` and arguments), or the object given."""
    if not isinstance(node, DictConfig):
        return node
    from hydra.utils import instantiate

    with warnings.catch_warnings():
        # TPE's group/multivariate/constant_liar work well but Optuna still flags them experimental.
        warnings.filterwarnings("ignore", message=r"Argument ``\w+`` is an experimental feature")
        return instantiate(node, **overrides)


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"schedule": {"decay_rate": ...}}`` (as ``hydra.sweeper.params.schedule.decay_rate=...`` on the command
    line makes it) to ``{"schedule.decay_rate": ...}``, the flat keys of the sweep files."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _plain(node: Any) -> Any:
    if isinstance(node, DictConfig) or OmegaConf.is_list(node):
        return OmegaConf.to_container(node, resolve=True)
    return node
