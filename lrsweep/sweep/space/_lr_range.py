"""``hydra.sweeper.lr_range=auto``: one LR range test per study, and a search space narrowed to its usable range.

The first worker runs the test (under the study's lock) and keeps its record on the study (user attr
``lrsweep.lr_range``) and on the study's MLflow run; every later worker and every resumed run reads it back, so
all trials of a study search the same bounds and the test never runs twice. Each learning-rate parameter of each
family in the space (the family's :meth:`~lrsweep.schedules.ScheduleParams.learning_rate_fields`) becomes
``tag(log, interval(lower, upper))`` for a rate training runs at, ``[lower / 100, lower]`` for one it decays or
cycles down to, never over more decades than the sweep file searched it (a wider measured range keeps the file's
width below the curve's minimum, and says so). Parameters set on the command line keep their bounds; enqueued
baselines run as given.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optuna.distributions import FloatDistribution

from lrsweep import _keys as keys
from lrsweep.sweep.space._grammar import Entry, SearchSpace, Structured

if TYPE_CHECKING:
    from optuna import Study

    from lrsweep.tracking import StudyTracker

__all__ = ["narrow", "study_range"]

log = logging.getLogger("lrsweep.sweep")

RangeTestRunner = Callable[["StudyTracker | None"], dict[str, Any]]
"""Runs the range test (logging it under the study's MLflow run) and returns its record."""


def study_range(study: Study, runs: StudyTracker | None, run_test: RangeTestRunner) -> dict[str, Any]:
    """The study's range test record: read back, or run now and kept (call under the study's lock)."""
    record = study.user_attrs.get(keys.STUDY_LR_RANGE)
    if record is not None:
        return dict(record)
    from lrsweep.lrfind import CurveError

    try:
        record = run_test(runs)
    except CurveError as error:  # kept too: a resumed sweep does not try again
        record = {"error": str(error)}
    study.set_user_attr(keys.STUDY_LR_RANGE, record)
    if runs is not None and "lower" in record:
        shown = {f"lr_range.{k}": str(record[k]) for k in ("lower", "upper", "steepest", "valley", "run_id")}
        runs.log_params({k: v for k, v in shown.items() if v != "None"})
    return dict(record)


def _narrowed(entry: Entry, low: float, high: float) -> tuple[Entry, float, float, str] | None:
    """The entry searched in ``[low, high]`` on a log scale, never over more decades than the sweep file gave it:
    a wider measured range keeps the file's width below ``high`` (the curve's minimum, its surest point)."""
    distribution = entry.distribution if isinstance(entry, Structured) else entry
    if not isinstance(distribution, FloatDistribution) or distribution.step is not None:
        return None  # a choice or a stepped range: left as written
    note = ""
    if distribution.low > 0:
        width = math.log10(distribution.high / distribution.low)
        if math.log10(high / low) > width + 1e-9:
            low = high / 10**width
            decades = f"{width:.2g} decade" + ("" if round(width, 2) == 1 else "s")
            note = f" (the measured range is wider than the sweep file's {decades}: kept that width below its minimum)"
    bounds = FloatDistribution(low, high, log=True)
    return (replace(entry, distribution=bounds) if isinstance(entry, Structured) else bounds), low, high, note


def _family_of(choice: str | None, default: str) -> str:
    if choice is not None and choice.partition("=")[0] == "schedule":
        return choice.partition("=")[2]
    return default


def narrow(
    space: SearchSpace,
    lower: float,
    upper: float,
    family: str,
    roles: Callable[[str], Mapping[str, str]],
    explicit: Collection[str] = (),
) -> tuple[SearchSpace, list[str]]:
    """The space with every learning-rate parameter's bounds set from ``[lower, upper]``, and what changed.

    ``family``: the schedule of the unconditional params; a ``schedule=X`` branch's params are family ``X``'s.
    ``roles(family)``: its learning-rate fields and their roles. ``explicit``: keys the command line set.
    """
    changed: list[str] = []
    bounds = {"peak": (lower, upper), "floor": (lower / 100, lower)}

    def narrowed(entries: Mapping[str, Entry], owner: str) -> dict[str, Entry]:
        out = dict(entries)
        for name, entry in entries.items():
            key = name.partition("/")[2] or name
            role = roles(owner).get(key.removeprefix("schedule.")) if key.startswith("schedule.") else None
            if role is None or key in explicit:
                continue
            narrowed_entry = _narrowed(entry, *bounds[role])
            if narrowed_entry is not None:
                out[name], low, high, note = narrowed_entry
                changed.append(f"{name} [{low:.2e}, {high:.2e}]{note}")
        return out

    params = narrowed(space.params, family)
    conditional = {choice: narrowed(branch, _family_of(choice, family)) for choice, branch in space.conditional.items()}
    return SearchSpace(params=params, fixed=space.fixed, conditional=conditional), changed
