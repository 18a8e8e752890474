"""``lrsweep check``: does the MLflow store tell the same story as the Optuna study, trial by trial?

Checked: every trial that started has exactly one MLflow child run (under the study's one parent run) and no run
lacks its trial; the run's ``optuna.state`` tag and status match the trial's state; a COMPLETE trial's
``optuna.value`` metric equals its value (in a multi-objective study, each ``optuna.value.<objective>`` its
objective's value); no more COMPLETE/PRUNED trials than the sweep's ``n_trials``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrsweep import _keys as keys
from lrsweep.results._trials import load_study, objectives_of
from lrsweep.sweep._fingerprint import describe

if TYPE_CHECKING:
    from lrsweep.tracking import RunView

__all__ = ["CheckResult", "check_study"]

# A trial's state -> the MLflow run statuses that agree with it.
_RUN_STATUS = {
    "COMPLETE": ("FINISHED",),
    "PRUNED": ("FINISHED",),
    "FAIL": ("FAILED", "KILLED"),
    "RUNNING": ("RUNNING", "SCHEDULED"),
}


@dataclass
class CheckResult:
    study: str
    trials: int
    done: int
    runs: int
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""  # the study's main fixed settings, in one line

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        of = f" (study of: {self.fingerprint})" if self.fingerprint else ""
        counted = f"{self.trials} trials ({self.done} COMPLETE or PRUNED), {self.runs} MLflow runs"
        head = f"study '{self.study}'{of}: {counted}"
        if self.ok:
            return f"{head}: consistent"
        return "\n".join([f"{head}: {len(self.problems)} problem(s)", *(f"  {p}" for p in self.problems)])


def check_study(study_name: str, storage: str | None = None) -> CheckResult:
    """Compare the study's trials with their MLflow runs; ``result.problems`` lists every disagreement."""
    from optuna.trial import TrialState

    study = load_study(study_name, storage)
    trials = study.get_trials(deepcopy=False)
    done = sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    uri = study.user_attrs.get(keys.STUDY_TRACKING_URI)
    measured = describe(study.user_attrs.get(keys.STUDY_FINGERPRINT))
    result = CheckResult(study_name, len(trials), done, 0, fingerprint=measured)
    budget = study.user_attrs.get(keys.STUDY_BUDGET)
    if budget is not None and done > int(budget):
        result.problems.append(f"{done} COMPLETE or PRUNED trials, more than n_trials={budget}")
    if uri is None:  # a sweep without MLflow tracking: only the study itself to check
        return result

    from lrsweep.tracking import study_runs

    found = study_runs(uri, study_name)
    if found is None:
        result.problems.append(f"no MLflow experiment '{study_name}' at {uri}")
        return result
    parent_id = study.user_attrs.get(keys.STUDY_PARENT_RUN)
    if found.parents != [parent_id]:
        result.problems.append(f"{len(found.parents)} parent run(s) for the study; expected one, {parent_id}")
    by_number: dict[int, list[RunView]] = defaultdict(list)
    for run in found.trials:
        by_number[int(run.tags.get(keys.TAG_TRIAL, -1))].append(run)
        result.runs += 1
    numbers = {t.number for t in trials}
    for number in sorted(set(by_number) - numbers):
        result.problems.append(f"run(s) {[r.run_id for r in by_number[number]]} name trial {number}, not in the study")

    metrics = keys.value_metrics(objectives_of(study))
    for trial in trials:
        problems = _check_trial(trial, by_number.get(trial.number, []), parent_id, metrics)
        result.problems += [f"trial {trial.number} ({trial.state.name}): {p}" for p in problems]
    return result


def _check_trial(trial: Any, runs: list[RunView], parent_id: str | None, metrics: list[str]) -> list[str]:
    state = trial.state.name
    if state == "WAITING":
        return [f"{len(runs)} run(s) for a trial that has not started"] if runs else []
    if len(runs) != 1:
        return [f"{len(runs)} MLflow runs; expected exactly one"]
    (run,) = runs
    problems = []
    if trial.user_attrs.get(keys.TRIAL_RUN) != run.run_id:
        problems.append(
            f"user attr {keys.TRIAL_RUN} {trial.user_attrs.get(keys.TRIAL_RUN)} is not its run {run.run_id}"
        )
    if run.tags.get(keys.TAG_PARENT) != parent_id:
        problems.append(f"run {run.run_id} is not under the study's parent run {parent_id}")
    tagged = run.tags.get(keys.TAG_STATE)
    if tagged != state:
        problems.append(f"run {run.run_id} is tagged {keys.TAG_STATE}={tagged}")
    if run.status not in _RUN_STATUS.get(state, ()):
        problems.append(f"run {run.run_id} has status {run.status}")
    if state == "COMPLETE":
        for metric, value in zip(metrics, trial.values, strict=True):
            logged = run.metrics.get(metric)
            if logged is None or not math.isclose(logged, float(value), rel_tol=1e-6, abs_tol=1e-9):
                problems.append(f"run {run.run_id} has {metric}={logged}, the trial {value}")
    return problems
