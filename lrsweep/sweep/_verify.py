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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optuna.trial import TrialState

from lrsweep import _records as keys

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = [
    "SEED_OFFSET",
    "TIE_LEVEL",
    "Verdict",
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
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        """The sample standard deviation over the fresh seeds (0 with one)."""
        if len(self.values) < 2:
            return 0.0
        mean = self.mean
        return math.sqrt(sum((v - mean) ** 2 for v in self.values) / (len(self.values) - 1))

    @property
    def tied(self) -> bool:
        """Whether the test cannot tell it from the best (the best is tied with itself)."""
        return self.p_value is None or self.p_value >= TIE_LEVEL


def verification_seeds(seed: int, count: int) -> list[int]:
    return [seed + SEED_OFFSET + i for i in range(count)]


def _search_trials(study: Study) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False) if keys.TRIAL_VERIFIES not in t.user_attrs]


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


def _welch(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sided p-value of Welch's t-test between two samples (1.0 where it is undefined: equal constants)."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return 1.0
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
    ranked = sorted(fresh, key=lambda n: -_mean(fresh[n]) if maximize else _mean(fresh[n]))
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


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def verdict_lines(found: Sequence[Verdict], metric: str) -> list[str]:
    """The verdict as a person reads it: one line per configuration, then which are tied with the best."""
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
    return lines
