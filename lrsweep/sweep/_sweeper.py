"""The Optuna sweep behind ``hydra/sweeper=lrsweep``: check, join the study, run the loop, summarise.

Each trial is one Hydra job per seed (``repeats``), run through the configured launcher or, for ``n_jobs > 1``
with Hydra's basic launcher, in warm worker processes (:mod:`lrsweep.sweep.workers._executors`). The job
reattaches to its trial through the study storage, reports the objective after every epoch and stops when the
pruner says so; the sweep alone writes the trial's records (:mod:`lrsweep.sweep.trials._writer`).
The study's budget is its total: a re-run of the same command resumes it and stops at ``n_trials``
COMPLETE-or-PRUNED trials. Any number of workers (the same command on other machines, with a shared storage)
can share the study: each asks for a trial under the study's lock (:mod:`lrsweep.sweep.storage._lock`) only while
finished plus running trials are fewer than ``n_trials``, keeps its running trials' heartbeats
(:mod:`lrsweep.sweep.storage._heartbeat`), re-runs the trials of workers that died, and waits out a database outage
(:mod:`lrsweep.sweep.storage._retry`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna
from hydra.core.plugins import Plugins
from omegaconf import DictConfig

from lrsweep import _keys as keys
from lrsweep._backend import backend_name
from lrsweep._secrets import mask
from lrsweep.sweep._fingerprint import fingerprint
from lrsweep.sweep._loop import SweepStopped, run_loop, run_verification
from lrsweep.sweep._packing import packed_slots, planned_pack
from lrsweep.sweep._progress import SweepProgress
from lrsweep.sweep._session import SearchPlan, SweepSession, open_session, plan_search
from lrsweep.sweep._settings import SweepSettings
from lrsweep.sweep._verify import controls_of, verdict_lines, verdicts
from lrsweep.sweep.job._overrides import fixed_overrides
from lrsweep.sweep.space._branches import derive_branches
from lrsweep.sweep.space._checks import baseline_params, check_custom_hook, check_group_choices, check_run_length
from lrsweep.sweep.space._grammar import SearchSpace, parse_space
from lrsweep.sweep.storage._study import check_storage
from lrsweep.sweep.storage._urls import default_storage
from lrsweep.sweep.trials._queries import best, counts, front
from lrsweep.sweep.trials._writer import ctrl_c_waits
from lrsweep.sweep.workers._count import open_slots, own_workers, plan_workers
from lrsweep.sweep.workers._devices import Accelerator, keep_off_accelerators, visible_accelerators
from lrsweep.training import DryRun, dry_run, validate

if TYPE_CHECKING:
    from hydra.plugins.launcher import Launcher
    from hydra.types import HydraContext, TaskFunction
    from optuna import Study
    from optuna.trial import FrozenTrial

    from lrsweep.sweep.space._lr_range import RangeTestRunner
    from lrsweep.tracking import StudyTracker

__all__ = ["OptunaSweep", "SweepStopped"]

log = logging.getLogger("lrsweep.sweep")


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """For the sweep's length only (nothing changes when this module is imported): Optuna's log at WARNING, and
    three of its warnings that do not apply to a sweep."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            # Enqueued baselines (the tutorial's settings) may lie outside the searched ranges, on purpose.
            warnings.filterwarnings("ignore", message=r"Fixed parameter .* is out of range")
            # lrsweep keeps the heartbeat of the trials it asks for itself (see storage/_heartbeat.py).
            warnings.filterwarnings(
                "ignore", message=r"Heartbeat of storage is supposed to be used with Study.optimize"
            )
            warnings.filterwarnings(
                "ignore", category=optuna.exceptions.ExperimentalWarning, message=r"Argument ``heartbeat"
            )
            yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def _merge_arguments(params: Mapping[str, Any], arguments: Sequence[str]) -> dict[str, Any]:
    """``params`` with the command line's overrides on top (a fixed value there removes a key from the space)."""
    merged = dict(params)
    for argument in arguments:
        key, _, expression = argument.partition("=")
        merged[key] = expression
    return merged


@dataclass(frozen=True)
class _Checked:
    """What the checks before the study built: one job's config, the search, the dry run, the GPUs."""

    job_config: DictConfig
    search: SearchPlan
    dry: DryRun
    accelerators: list[Accelerator]
    environ: dict[str, str]


class OptunaSweep:
    """The sweep; constructed by :class:`hydra_plugins.lrsweep_sweeper.sweeper.LRSweepSweeper`."""

    def __init__(self, **settings: Any) -> None:
        self._raw = settings  # checked when the sweep starts, so a bad value is one line, not a traceback

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher: Launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> Study:
        with _quiet_optuna():
            return self._sweep(arguments)

    def _sweep(self, arguments: list[str]) -> Study:
        settings = SweepSettings.from_hydra(self._raw)
        space = self._space(settings, arguments)
        fixed = fixed_overrides(space.fixed)
        pack = planned_pack(settings, space, self.launcher)  # packed trials: 1 is off
        checked = self._check(settings, space, fixed, packed=pack > 1)
        job_config, search, dry = checked.job_config, checked.search, checked.dry
        epochs = int(job_config.trainer.epochs)
        run_length = self._run_length(dry.steps_per_epoch * epochs)
        run = (*run_length, epochs)
        check_run_length(space, dry.steps_per_epoch, epochs)
        if settings.rung_epochs is not None:  # each short run holds the whole schedule too
            check_run_length(space, dry.steps_per_epoch, settings.rung_epochs)
        check_custom_hook(search.extend, settings.custom_search_space, space, run, search.directions)
        compose_baseline = lambda overrides: self._compose([*fixed, *overrides])  # noqa: E731
        limit = settings.enqueue_limit(search.n_trials)
        notes: list[str] = []  # said once the study is joined: a bad input is the only line on screen
        baselines = baseline_params(settings.enqueue, space, compose_baseline, run, limit, job_config, notes)
        range_test = self._range_test(job_config) if settings.lr_range == "auto" else None
        measured = fingerprint(job_config, space, dry.dataset.describe(), search.directions, backend_name())
        if settings.rung_epochs is not None:  # short runs and full runs: another experiment than full runs alone
            measured["rungs"] = f"{settings.rung_epochs} epochs, 1 in {settings.reduction_factor} promoted"
        plan = plan_workers(settings.n_jobs, checked.accelerators, job_config, checked.environ)
        explicit = {argument.partition("=")[0].lstrip("+~") for argument in arguments}
        session = open_session(
            settings, self.config, space, fixed, self._compose, run_length, search, baselines, measured, range_test,
            explicit,
        )  # fmt: skip
        data = dry.dataset.describe()
        log.info("dry run of one job: %.1f s (data %s from %s, %s; model built, one training step)",
                 dry.seconds, data["name"], data["source"], f"train {data['train']}, val {data['val']}")  # fmt: skip
        for line in notes:
            log.info("%s", line)
        slots = (
            packed_slots(pack, self.hydra_context, self.config, self.launcher)
            if pack > 1
            else open_slots(plan, self.launcher, self.hydra_context, self.config)
        )
        done = counts(session.study)[0]
        progress = SweepProgress(session.study.study_name, session.n_trials, done, session.epochs)
        status = "failed"
        try:
            with progress:
                run_loop(session, slots, progress)
            if settings.verify_top:
                run_verification(session, slots, range_test or self._range_test(job_config))
            status = "finished"
        except KeyboardInterrupt:
            status = "killed"
            raise
        finally:
            with ctrl_c_waits():  # a second Ctrl-C does not leave the members' or the study's runs open
                slots.close(cancel=status != "finished")
                session.close()
                _close_parent(session, status)
        self._write_results(session)
        self._summary(session)
        return session.study

    def _check(self, settings: SweepSettings, space: SearchSpace, fixed: list[str], packed: bool) -> _Checked:
        """Everything the config alone can tell, then the dry run of one job (its data, model and one training
        step): bad input is one line before the study, any MLflow run or any trial exists."""
        job_config = self._compose(fixed)
        schedule = validate(job_config)
        if settings.lr_range == "auto":
            from lrsweep.lrfind import check_settings

            check_settings(job_config.lr_find)
        search = plan_search(settings, self.config, space, self._named("hydra/sweeper/pruner"))
        check_storage(settings.storage or default_storage())
        environ = dict(os.environ)  # the workers' environment, before this process keeps off the GPUs
        own = own_workers(self.launcher, settings.n_jobs) and not packed  # packed: this process uses the GPU
        accelerators = visible_accelerators() if own else []
        if accelerators:  # the workers use the GPUs; this process (checks, the study, MLflow) keeps off them
            keep_off_accelerators()
        dry = dry_run(job_config, schedule=schedule)
        return _Checked(job_config, search, dry, accelerators, environ)

    def _write_results(self, session: SweepSession) -> None:
        """``optimization_results.yaml`` in the sweep's folder, in hydra-optuna-sweeper's shape: the best trial's
        parameters as config keys (its overrides) and its value; in a multi-objective study, the Pareto front as
        ``solutions`` (each trial's params and values)."""
        import yaml

        study = session.study
        results: dict[str, Any] = {"name": "lrsweep", "study": study.study_name}
        if len(study.directions) > 1:
            results["objectives"] = study.metric_names
            results["solutions"] = [
                {"trial": t.number, "params": _params(t), "values": list(t.values)} for t in front(study)
            ]
        else:
            top = best(study)
            if top is None:
                return
            trial = study.trials[top[0]]
            results.update({"best_trial": trial.number, "best_params": _params(trial), "best_value": top[1]})
            verified = verdicts(study)
            if verified:  # best first: the mean over fresh seeds of each verified configuration
                results["verified"] = [
                    {"trial": v.number, "mean": v.mean, "std": v.std, "values": list(v.values), "tied": v.tied}
                    for v in verified
                ]
                results["controls"] = [
                    {"control": c.name, "mean": c.mean, "std": c.std, "values": list(c.values), "p_value": c.p_value}
                    for c in controls_of(study, verified[0])
                ]
        folder = Path(str(self.config.hydra.sweep.dir))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "optimization_results.yaml").write_text(yaml.safe_dump(results, sort_keys=False))

    def _range_test(self, job_config: DictConfig) -> RangeTestRunner:
        """The study's LR range test, on one job's config: its files in the sweep's folder, its MLflow run under
        the study's (it runs in this process, once per study; see :mod:`lrsweep.sweep.space._lr_range`)."""

        def run(runs: StudyTracker | None) -> dict[str, Any]:
            from lrsweep.lrfind import log_range_test, range_test, write_range_test

            test = range_test(job_config)
            write_range_test(test, str(self.config.hydra.sweep.dir))
            run_id = None
            if runs is not None:
                tracker = runs.nested()
                settings = {f"lr_find.{key}": str(value) for key, value in job_config.lr_find.items()}
                run_id = log_range_test(test, tracker, settings)
            log.info("range test: %s", test.summary())
            return {**test.record(), "run_id": run_id}

        return run

    def _compose(self, overrides: list[str]) -> DictConfig:
        return self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))

    def _space(self, settings: SweepSettings, arguments: Sequence[str]) -> SearchSpace:
        """The search space: the sweep file's params (with the command line's on top) and branches."""
        params = _merge_arguments(settings.params, arguments)
        check_group_choices(params, self._group_options)
        params, conditional = derive_branches(params, settings.conditional, self._sweep_file_params)
        return parse_space(params, conditional)

    def _sweep_file_params(self, path: str) -> Mapping[str, Any] | None:
        """``hydra.sweeper.params`` of a config file on Hydra's search path (e.g. ``sweep/cosine_decay``)."""
        from omegaconf import OmegaConf

        from lrsweep.sweep._settings import flatten

        repository = getattr(self.hydra_context.config_loader, "repository", None)
        found = repository.load_config(path) if repository is not None else None
        if found is None:
            return None
        params = OmegaConf.select(found.config, "hydra.sweeper.params", default=None)
        return flatten(OmegaConf.to_container(params, resolve=False)) if params is not None else {}  # type: ignore[arg-type]

    def _run_length(self, total_steps: int) -> tuple[int, dict[str, int]]:
        """Optimizer steps in one run (for structured params) and segment counts of fixed boundaries."""
        segments = {}
        schedule = self.config.schedule
        if "boundaries" in schedule and "values" in schedule:
            segments["schedule.values"] = len(schedule.boundaries) + 1
        return total_steps, segments

    def _named(self, group: str) -> bool:
        """Whether the command line chose an option of ``group`` (``hydra/sweeper/pruner=hyperband``)."""
        overrides = self.config.hydra.overrides.get("hydra", []) or []
        return any(str(o).lstrip("+").partition("=")[0] == group for o in overrides)

    def _group_options(self, key: str) -> list[str] | None:
        """A config group's options (``schedule``: the families), or ``None`` for a key that is no group."""
        from hydra.core.object_type import ObjectType

        repository = getattr(self.hydra_context.config_loader, "repository", None)
        if repository is None or not repository.group_exists(key):
            return None
        return list(repository.get_group_options(key, ObjectType.CONFIG))

    def _summary(self, session: SweepSession) -> None:
        study, runs = session.study, session.runs
        lines = [f"study '{study.study_name}' · storage {session.storage}"]
        names = study.metric_names or [str(self.config.trainer.objective)]
        if len(study.directions) > 1:
            trials = front(study)
            goals = ", ".join(f"{n} ({d.name.lower()})" for n, d in zip(names, study.directions, strict=False))
            lines.append(f"Pareto front of {goals}: {len(trials)} trial(s)")
            for trial in trials:
                shown = ", ".join(f"{n} {v:.4f}" for n, v in zip(names, trial.values, strict=False))
                lines.append(f"  #{trial.number} {trial.user_attrs.get(keys.TRIAL_FAMILY, '')}: {shown}")
        elif (top := best(study)) is not None:
            trial = study.trials[top[0]]
            lines.append(f"best trial #{trial.number}: {names[0]} = {top[1]:.4f}")
            lines += [f"  {override}" for override in trial.user_attrs.get(keys.TRIAL_OVERRIDES, [])]
            verified = verdicts(study)
            maximize = study.direction.name == "MAXIMIZE"
            controls = controls_of(study, verified[0] if verified else None)
            lines += verdict_lines(verified, names[0], controls, maximize)
        lines.append(f"optuna-dashboard {mask(session.storage)}")
        if runs is not None:
            lines += runs.ui_lines()
        print("\n".join(lines))


def _params(trial: FrozenTrial) -> dict[str, Any]:
    """A trial's parameters as config keys and values: its overrides, parsed."""
    import yaml

    params = {}
    for override in trial.user_attrs.get(keys.TRIAL_OVERRIDES, []):
        key, _, value = override.partition("=")
        params[key] = yaml.safe_load(value)
    return params


def _close_parent(session: SweepSession, status: str) -> None:
    """End the study's MLflow run, unless other workers still run trials of the study."""
    if session.runs is None:
        return
    try:
        if counts(session.study)[1] == 0:
            session.runs.finish(status)
    except Exception as error:  # the storage or MLflow is gone: the trials are what matters
        log.warning("could not close the study's MLflow run: %s", error)
