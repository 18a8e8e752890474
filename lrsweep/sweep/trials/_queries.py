"""What the loop and the summary ask of a study: trials counted toward the budget, the best search trial, the
Pareto front, and the best so far as the progress line shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from lrsweep import _keys as keys

if TYPE_CHECKING:
    from optuna import Study

__all__ = ["best", "best_label", "counts", "front", "standing"]

_DONE = (TrialState.COMPLETE, TrialState.PRUNED)


def counts(study: Study, verifying: bool = False) -> tuple[int, int]:
    """(COMPLETE + PRUNED trials, RUNNING trials) of the study's search (or, ``verifying``, of its verification
    and control trials), read from its storage now."""
    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(*_DONE, TrialState.RUNNING))
        if (keys.TRIAL_SEED in t.user_attrs) == verifying  # verification and control trials carry their seed
    ]
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return len(trials) - running, running


def best(study: Study) -> tuple[int, float] | None:
    """(number, value) of the study's best search trial so far (a verification trial's lucky seed is not a search
    result); ``None`` before one, and in a multi-objective study."""
    if len(study.directions) > 1:
        return None
    complete = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None and keys.TRIAL_SEED not in t.user_attrs
    ]
    if not complete:
        return None
    pick = max if study.direction == StudyDirection.MAXIMIZE else min
    trial = pick(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]
    return trial.number, float(trial.value)  # type: ignore[arg-type]


def front(study: Study) -> list[FrozenTrial]:
    """The study's best trials: its Pareto front (the best trial, in a single-objective study), by number."""
    return sorted(study.best_trials, key=lambda trial: trial.number)


def standing(study: Study) -> tuple[tuple[int, float] | None, int | None]:
    """Where the study stands now, read once: its best trial (:func:`best`), or, in a multi-objective study, the
    size of its Pareto front."""
    if len(study.directions) > 1:
        return None, len(study.best_trials)
    return best(study), None


def best_label(top: tuple[int, float] | None, front_size: int | None) -> str | None:
    """The best so far as the progress line shows it: ``0.8512 (#3)``, or ``front of 4`` (multi-objective)."""
    if front_size is not None:
        return f"front of {front_size}" if front_size else None
    return None if top is None else f"{top[1]:.4f} (#{top[0]})"
