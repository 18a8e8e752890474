"""The Hydra overrides of a trial's jobs: a pure function of the sampled values and where the trial reports.

Example:
    >>> jobs = trial_overrides(["trainer.epochs=2"], ["schedule.decay_rate=0.9"], TrialTarget("s", "sqlite:///x.db", 3),
    ...                        repeats=2, seed=0)
    >>> jobs[1]
    ['trainer.epochs=2', 'schedule.decay_rate=0.9', 'trainer.seed=1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["TrialTarget", "fixed_overrides", "trial_overrides"]


@dataclass(frozen=True)
class TrialTarget:
    """Where a trial's first job reports: its study and trial, and (with MLflow) its run and the study's run."""

    study_name: str
    storage: str  # masked: the job reveals it from its environment
    number: int
    run_id: str | None = None
    parent_run_id: str | None = None


def trial_overrides(
    fixed: Sequence[str], sampled: Sequence[str], target: TrialTarget, *, repeats: int, seed: int
) -> list[list[str]]:
    """One override list per seed: the fixed and sampled overrides, then what each seed's job reports to.

    The first seed reports to the Optuna trial (and may be pruned) and logs into the trial's MLflow run; further
    seeds run ``trainer.seed + i`` and log into runs nested under the trial's run.
    """
    jobs = []
    for repeat in range(repeats):
        overrides = [*fixed, *sampled]
        if repeat == 0:
            overrides += [
                f"optuna.study_name='{target.study_name}'",
                f"optuna.storage='{target.storage}'",
                f"optuna.trial_number={target.number}",
            ]
        if repeats > 1:
            overrides.append(f"trainer.seed={seed + repeat}")
        if target.run_id is not None:
            overrides.append(f"tracking.experiment_name='{target.study_name}'")
            if repeat == 0:
                overrides += [f"tracking.run_id={target.run_id}", f"tracking.parent_run_id={target.parent_run_id}"]
            else:
                overrides += [
                    f"tracking.parent_run_id={target.run_id}",
                    f"tracking.run_name=trial-{target.number}-seed-{repeat}",
                ]
        jobs.append(overrides)
    return jobs


def fixed_overrides(fixed: Mapping[str, str]) -> list[str]:
    """The command line's non-sweep overrides for every job, as typed: ``key=value``, and a deletion without a
    value stays ``~key`` (Hydra reads ``~key=`` as "delete only if empty")."""
    return [key if key.startswith("~") and value == "" else f"{key}={value}" for key, value in fixed.items()]
