"""How a trial's jobs ended: a sweep's job (one seed of one trial) trains and reports its epochs for pruning, and
returns a :class:`~lrsweep.sweep.job._report.JobReport` (or raises, carrying what it measured), which the
executor turns into an :class:`Outcome`; :func:`combine` makes the trial's result of its jobs' outcomes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optuna.trial import TrialState

from lrsweep import _keys as keys
from lrsweep._errors import LRSweepError, TrialPrunedError
from lrsweep._internals import job_error
from lrsweep.sweep.job._report import JobReport, carried_record

if TYPE_CHECKING:
    from hydra.core.utils import JobReturn

__all__ = ["Outcome", "Values", "combine", "job_outcome", "outcome_of"]


Values = tuple[float, ...]
"""A trial's objectives: one value, or one per objective of a multi-objective study."""


@dataclass(frozen=True)
class Outcome:
    """What one job gave: the Optuna state it means, the objectives, the failure reason, what it measured."""

    state: TrialState
    values: Values | None = None
    reason: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict)


def _numbers(raw: Any) -> Values | str:
    """The job's return value as finite numbers, or why it is not."""
    try:
        values = tuple(float(v) for v in raw) if isinstance(raw, list | tuple) else (float(raw),)
    except (TypeError, ValueError):
        return f"the job returned {raw!r}, not a number"
    bad = [v for v in values if not math.isfinite(v)]
    return f"the objective is {bad[0]}" if bad else values


def outcome_of(result: JobReturn) -> Outcome:
    """The outcome of a finished Hydra job."""
    from hydra.core.utils import JobStatus

    if result.status == JobStatus.COMPLETED:
        return job_outcome(result.return_value)
    return job_outcome(error=job_error(result))


def job_outcome(returned: Any = None, error: BaseException | None = None) -> Outcome:
    """The outcome of a job that returned ``returned`` (a :class:`JobReport` or a number) or raised ``error``."""
    if error is None:
        record = returned.record if isinstance(returned, JobReport) else {}
        values = _numbers(returned.value if isinstance(returned, JobReport) else returned)
        if isinstance(values, str):
            return Outcome(TrialState.FAIL, reason=values, record=record)
        return Outcome(TrialState.COMPLETE, values, record=record)
    record = carried_record(error)
    if isinstance(error, TrialPrunedError):
        return Outcome(TrialState.PRUNED, (error.value,), record=record)
    reason = str(error) if isinstance(error, LRSweepError) else f"{type(error).__name__}: {error}"
    return Outcome(TrialState.FAIL, reason=reason, record=record)


def combine(outcomes: Sequence[Outcome]) -> tuple[TrialState, Values | None, str | None, dict[str, Any]]:
    """The trial's state, values (each the mean over seeds), reason and user attrs from its jobs' outcomes."""
    last = outcomes[-1]
    attrs: dict[str, Any] = dict(outcomes[0].record)  # the first seed is the one that reports to the trial
    values = None
    if last.state == TrialState.COMPLETE:
        seeds = [o.values for o in outcomes if o.values is not None]
        values = tuple(statistics.fmean(column) for column in zip(*seeds, strict=True))
        if len(seeds) > 1:
            spread = [statistics.stdev(column) for column in zip(*seeds, strict=True)]
            single = len(values) == 1
            attrs[keys.TRIAL_VALUES] = [s[0] for s in seeds] if single else [list(s) for s in seeds]
            attrs[keys.TRIAL_STD] = spread[0] if single else spread
    if last.reason is not None:
        attrs[keys.TRIAL_FAIL_REASON] = last.reason
    return last.state, values, last.reason, attrs
