"""Verification: after the search, the top configurations run again with fresh seeds, and the verdict ranks them
by their mean over those seeds, not by the single draw that put them on top.

A search's best value is the maximum of many noisy draws, so it is biased upwards (the winner's curse); at high
learning rates one seed's value can differ from the next by as much as families differ. The ``verify_top`` best
distinct configurations of the search (COMPLETE trials) each run ``verify_seeds`` more times, with
``trainer.seed + 1000 + i``: seeds the search never used. They are trials of the same study, enqueued under the
study's lock (so several workers share them and a resumed sweep finishes them), marked with user attrs
``lrsweep.verifies`` (the search trial's number) and ``lrsweep.seed``, never pruned, and tracked in MLflow under
the study's run like any trial. The search's own counts leave them out.

The verdict: each configuration's mean and standard deviation over its fresh seeds (its search value is not in
the mean: it is the biased draw), ranked by the study's direction; a configuration whose fresh values a two-sided
Welch's t-test cannot tell from the best's at the 5 % level (p ≥ 0.05) is *tied* with it.

Controls run with the same seeds, so the verdict also says whether a schedule is needed at all: ``constant``, a
constant LR at the study's LR range test's minimum/10, and ``schedule_free``, Keras' ``ScheduleFreeAdamW`` at that
LR (Defazio et al., 2024), where the study's optimizer is Adam-like. They are trials of the study too (user attrs
``lrsweep.control`` and the overrides they run, ``lrsweep.control_overrides``), with no parameters of the space.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optuna.trial import TrialState

from lrsweep import _keys as keys

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = [
    "SEED_OFFSET",
    "TIE_LEVEL",
    "Control",
    "Verdict",
    "control_fixed",
    "control_overrides",
    "controls_of",
    "enqueue_controls",
    "enqueue_verification",
    "verdict_lines",
    "verdicts",
    "verification_seeds",
]

SEED_OFFSET = 1000  # verification seeds start here above trainer.seed: the search never uses them
TIE_LEVEL = 0.05  # a p-value at or above it: the configuration cannot be told from the best


@dataclass(frozen=True)
class Verdict:
    """One verified configuration: the search trial, its fresh-seed values and how it stands against the best."""

    number: int  # the search trial it verifies
    family: str
    search_value: float
    values: tuple[float, ...]  # one per fresh seed that completed
    p_value: float | None  # Welch's two-sided test against the best (None for the best itself)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        """The sample standard deviation over the fresh seeds (0 with one)."""
        return _std(self.values)

    @property
    def tied(self) -> bool:
        """Whether the test cannot tell it from the best (the best is tied with itself)."""
        return self.p_value is None or self.p_value >= TIE_LEVEL


def verification_seeds(seed: int, count: int) -> list[int]:
    return [seed + SEED_OFFSET + i for i in range(count)]


def _search_trials(study: Study) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False) if keys.TRIAL_SEED not in t.user_attrs]


def _top(study: Study, top: int) -> list[FrozenTrial]:
    """The best ``top`` COMPLETE search trials of distinct parameters, best first."""
    maximize = study.direction.name == "MAXIMIZE"
    complete = [t for t in _search_trials(study) if t.state == TrialState.COMPLETE and t.value is not None]
    complete.sort(key=lambda t: (-t.value if maximize else t.value, t.number))  # type: ignore[operator]
    chosen: list[FrozenTrial] = []
    seen: set[tuple[tuple[str, Any], ...]] = set()
    for trial in complete:
        signature = tuple(sorted(trial.params.items()))
        if signature not in seen:
            seen.add(signature)
            chosen.append(trial)
        if len(chosen) == top:
            break
    return chosen


def enqueue_verification(study: Study, top: int, seeds: Sequence[int]) -> int:
    """Enqueue each missing (configuration, seed) of the study's top ``top`` search trials (call under the study's
    lock, once the search is done); how many verification trials the study has to finish."""
    existing = {
        (t.user_attrs[keys.TRIAL_VERIFIES], t.user_attrs.get(keys.TRIAL_SEED))
        for t in study.get_trials(deepcopy=False)
        if keys.TRIAL_VERIFIES in t.user_attrs and t.state != TrialState.FAIL
    }
    chosen = _top(study, top)
    for trial in chosen:
        for seed in seeds:
            if (trial.number, seed) not in existing:
                attrs = {keys.TRIAL_VERIFIES: trial.number, keys.TRIAL_SEED: seed}
                study.enqueue_trial(trial.params, user_attrs=attrs)
    return len(chosen) * len(seeds)


_ADAM_LIKE = ("Adam", "AdamW", "Adamax", "Nadam", "Lamb", "ScheduleFreeAdamW")
_SCHEDULE_FREE_KEEPS = ("beta_1", "beta_2", "epsilon", "weight_decay")  # the study's Adam's, where it has them


def control_overrides(name: str, learning_rate: float, optimizer: Mapping[str, Any]) -> tuple[list[str] | None, str]:
    """A control's overrides (on the job's config without its schedule and optimizer overrides), or ``None`` and
    why it does not apply to this study."""
    constant = ["schedule=constant", f"schedule.initial_learning_rate={learning_rate!r}"]
    if name == "constant":
        return constant, ""
    target = str(optimizer.get("_target_", ""))
    if target.rsplit(".", 1)[-1] not in _ADAM_LIKE:
        return None, (
            f"no schedule_free control: Keras' schedule-free optimizer is ScheduleFreeAdamW, and the study's "
            f"optimizer {target} is not Adam-like"
        )
    kept = [f"optimizer.{key}={optimizer[key]!r}" for key in _SCHEDULE_FREE_KEEPS if optimizer.get(key) is not None]
    return [*constant, "optimizer=schedule_free_adamw", *kept], ""


def control_fixed(fixed: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """The sweep's fixed overrides for a control's job: without those of the groups the control sets (its schedule,
    and its optimizer where it has one)."""
    groups = {o.partition("=")[0].partition(".")[0] for o in overrides}
    return [o for o in fixed if o.lstrip("+~").partition("=")[0].partition(".")[0] not in groups]


def enqueue_controls(study: Study, controls: Mapping[str, list[str]], seeds: Sequence[int]) -> int:
    """Enqueue each missing (control, seed) (call under the study's lock); how many control trials there are."""
    existing = {
        (t.user_attrs[keys.TRIAL_CONTROL], t.user_attrs.get(keys.TRIAL_SEED))
        for t in study.get_trials(deepcopy=False)
        if keys.TRIAL_CONTROL in t.user_attrs and t.state != TrialState.FAIL
    }
    for name, overrides in controls.items():
        for seed in seeds:
            if (name, seed) not in existing:
                attrs = {keys.TRIAL_CONTROL: name, keys.TRIAL_SEED: seed, keys.TRIAL_CONTROL_OVERRIDES: overrides}
                study.enqueue_trial({}, user_attrs=attrs)
    return len(controls) * len(seeds)


@dataclass(frozen=True)
class Control:
    """A control's values over the verification seeds, against the verified best."""

    name: str
    overrides: tuple[str, ...]
    values: tuple[float, ...]
    p_value: float  # Welch's two-sided test against the verified best

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        return _std(self.values)


def controls_of(study: Study, best: Verdict | None) -> list[Control]:
    """The study's controls that completed a seed, in the order they were enqueued."""
    runs: dict[str, tuple[list[str], list[float]]] = {}
    for trial in study.get_trials(deepcopy=False):
        name = trial.user_attrs.get(keys.TRIAL_CONTROL)
        if name is not None and trial.state == TrialState.COMPLETE and trial.value is not None:
            overrides = list(trial.user_attrs.get(keys.TRIAL_CONTROL_OVERRIDES, []))
            runs.setdefault(str(name), (overrides, []))[1].append(float(trial.value))
    best_values = list(best.values) if best is not None else []
    return [
        Control(name, tuple(overrides), tuple(values), _welch(values, best_values))
        for name, (overrides, values) in runs.items()
    ]


def _welch(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sided p-value of Welch's t-test between two samples (1.0 where it is undefined: equal constants)."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return 1.0
    with warnings.catch_warnings():  # equal constant samples: scipy warns and gives NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(a, b, equal_var=False)
    p = float(result.pvalue)
    return 1.0 if math.isnan(p) else p


def verdicts(study: Study) -> list[Verdict]:
    """The study's verified configurations, best mean first (empty when nothing was verified)."""
    trials = study.get_trials(deepcopy=False)
    fresh: dict[int, list[float]] = {}
    for trial in trials:
        number = trial.user_attrs.get(keys.TRIAL_VERIFIES)
        if number is not None and trial.state == TrialState.COMPLETE and trial.value is not None:
            fresh.setdefault(int(number), []).append(float(trial.value))
    if not fresh:
        return []
    maximize = study.direction.name == "MAXIMIZE"
    ranked = sorted(fresh, key=lambda n: -statistics.fmean(fresh[n]) if maximize else statistics.fmean(fresh[n]))
    best = fresh[ranked[0]]
    out = []
    for index, number in enumerate(ranked):
        searched = trials[number]
        out.append(
            Verdict(
                number=number,
                family=str(searched.user_attrs.get(keys.TRIAL_FAMILY, "")),
                search_value=float(searched.value) if searched.value is not None else math.nan,
                values=tuple(fresh[number]),
                p_value=None if index == 0 else _welch(fresh[number], best),
            )
        )
    return out


def _std(values: Sequence[float]) -> float:
    """The sample standard deviation (0 for a single value)."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def verdict_lines(
    found: Sequence[Verdict], metric: str, controls: Sequence[Control] = (), maximize: bool = True
) -> list[str]:
    """The verdict as a person reads it: one line per configuration, which are tied with the best, and where the
    best stands against each control (its margin, and the test)."""
    if not found:
        return []
    seeds = max(len(v.values) for v in found)
    lines = [f"verified over {seeds} fresh seeds (mean ± std of {metric}; the search's value in brackets):"]
    for verdict in found:
        tie = "" if verdict.p_value is None else ("  tied with the best" if verdict.tied else "")
        shown = "" if verdict.p_value is None else f", p = {verdict.p_value:.2f}"
        lines.append(
            f"  #{verdict.number} {verdict.family}: {verdict.mean:.4f} ± {verdict.std:.4f} "
            f"({verdict.search_value:.4f}{shown}){tie}"
        )
    tied = [f"#{v.number}" for v in found[1:] if v.tied]
    rule = f"Welch's two-sided t-test at {TIE_LEVEL:.0%}"
    lines.append(
        f"  the best cannot be told apart from {', '.join(tied)} ({rule})" if tied else f"  the best stands ({rule})"
    )
    best, sign = found[0], 1.0 if maximize else -1.0
    for control in controls:
        learning_rate = next((o.partition("=")[2] for o in control.overrides if "initial_learning_rate" in o), "?")
        stands = "tied with the best" if control.p_value >= TIE_LEVEL else "the best differs"
        lines.append(
            f"  control {control.name} (constant LR {float(learning_rate):.3g}): {control.mean:.4f} ± {control.std:.4f}"
            f" · the verified best leads by {sign * (best.mean - control.mean):+.4f} (p = {control.p_value:.2f}: "
            f"{stands})"
        )
    return lines
