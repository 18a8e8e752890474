"""Budget fidelity: successive halving over whole schedules (``hydra.sweeper.rung_epochs``).

A pruner that stops a trial after its first epochs judges a schedule by its beginning: one still warming up, or
still at a high LR before its decay, looks worse than one that has already decayed. Here every sampled
configuration first trains its *whole* schedule compressed into ``rung_epochs`` epochs (a ``fraction``-tagged
parameter is a share of the trial's own run, so a decay still decays and a warm-up still ends), and is told
PRUNED after that short run (its value: the last epoch's). The best ``1 / reduction_factor`` of the short runs so
far (asynchronous successive halving, as ASHA: Li et al., 2020) are promoted: each runs again, from scratch, at
the full ``trainer.epochs``, as a new trial of the study with the same parameters (user attr
``lrsweep.promotes``: the short run's number), as long as the budget has room. The budget's last trial promotes
the best short run not yet promoted (waiting, if need be, for the short runs still running), so a study always
ends with full runs to rank.

The enqueued baselines, verification and control trials run at the full budget. The short runs are the early
stopping: no trial is judged by the pruner (a full run's first epochs would be compared with short runs' last
ones). The study's COMPLETE trials are full runs only, so the summary, ``lrsweep report``, verification and
``lrsweep export`` read them as they read any study's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from optuna.study import StudyDirection
from optuna.trial import TrialState

from lrsweep import _keys as keys

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["is_short_run", "promote", "short_runs"]


def is_short_run(attrs: Mapping[str, Any]) -> bool:
    """Whether a trial (by its user attrs) runs at the low rung: a sampled configuration, not a promotion, a
    baseline, a verification or a control."""
    return not any(
        key in attrs for key in (keys.TRIAL_PROMOTES, keys.TRIAL_BASELINE, keys.TRIAL_SEED, keys.TRIAL_CONTROL)
    )


def short_runs(study: Study) -> list[FrozenTrial]:
    """The study's finished short runs that have a value, best first."""
    found = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
        if keys.TRIAL_RUNG in t.user_attrs and t.value is not None
    ]
    maximize = study.directions[0] == StudyDirection.MAXIMIZE
    return sorted(found, key=lambda t: float(t.value), reverse=maximize)  # type: ignore[arg-type]


def promote(study: Study, reduction_factor: int, room: int, last: bool = False) -> list[int]:
    """Enqueue a full run of each short run that ranks in the best ``1 / reduction_factor`` of the short runs so
    far and has none yet, best first, as many as ``room`` (the budget's trials not yet finished, running or
    waiting) allows; with ``last`` and no trial waiting, the best one without one, whatever its rank. The numbers
    promoted. Call under the study's lock."""
    ranked, trials = short_runs(study), study.get_trials(deepcopy=False)
    promoted = {int(t.user_attrs[keys.TRIAL_PROMOTES]) for t in trials if keys.TRIAL_PROMOTES in t.user_attrs}
    room -= sum(t.state == TrialState.WAITING for t in trials)
    chosen = [t for t in ranked[: len(ranked) // reduction_factor] if t.number not in promoted][: max(room, 0)]
    if last and not chosen and room > 0:
        chosen = [t for t in ranked if t.number not in promoted][:1]
    for trial in chosen:
        study.enqueue_trial(trial.params, user_attrs={keys.TRIAL_PROMOTES: trial.number})
    return [t.number for t in chosen]
