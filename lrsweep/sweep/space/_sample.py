"""Sampling a trial from a :class:`SearchSpace` (define-by-run), and the inverse for enqueued settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import Trial

from lrsweep._errors import ConfigError
from lrsweep.sweep.space._grammar import Entry, SearchSpace, Structured

__all__ = ["enqueue_params", "sample", "to_override"]

_UNIT = FloatDistribution(0.0, 1.0)
_ORDER = {"fraction": 1, "boundaries": 2, "values": 3}


def to_override(key: str, value: Any) -> str:
    """``key=value`` in Hydra's override grammar."""
    return f"{key}={_format(value)}"


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_format(v) for v in value) + "]"
    return str(value)


def _suggest(trial: Trial, name: str, distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
        )
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
        )
    raise TypeError(f"unsupported distribution {distribution!r}")


def _sibling(key: str, name: str) -> str:
    parent, _, _ = key.rpartition(".")
    return f"{parent}.{name}" if parent else name


def _need_steps(name: str, total_steps: int | None) -> int:
    if total_steps is None:
        raise ConfigError(
            f"hydra.sweeper.params.{name}",
            "tag(fraction|boundaries, ...)",
            "used with a dataset whose size lrsweep can read (set data.train_size)",
        )
    return total_steps


def _structured(
    trial: Trial,
    name: str,
    key: str,
    entry: Structured,
    values: Mapping[str, Any],
    total_steps: int | None,
    segments: Mapping[str, int],
) -> Any:
    if entry.kind == "fraction":
        total = _need_steps(name, total_steps)
        return max(1, round(_suggest(trial, f"{name}_fraction", entry.distribution) * total))
    if entry.kind == "boundaries":
        total = _need_steps(name, total_steps)
        count = _suggest(trial, f"{name}_count", entry.distribution)
        positions = sorted(_suggest(trial, f"{name}_{i}", _UNIT) for i in range(count))
        steps: list[int] = []
        for position in positions:  # a position beyond 1 only comes from an enqueued setting: keep it
            step = max(1, round(position * total))
            step = min(step, total - 1) if position <= 1 else step
            steps.append(max(step, steps[-1] + 1) if steps else step)
        return steps
    boundaries = _sibling(key, "boundaries")
    count = len(values[boundaries]) + 1 if boundaries in values else segments.get(key)
    if count is None:
        raise ConfigError(f"hydra.sweeper.params.{name}", "tag(values, ...)", f"next to a `{boundaries}` setting")
    drawn = [_suggest(trial, f"{name}_{i}", entry.distribution) for i in range(count)]
    return sorted(drawn, reverse=True) if entry.non_increasing else drawn


def _run_steps(total_steps: int | None, epochs: int | None, values: Mapping[str, Any]) -> int | None:
    """The trial's optimizer steps: ``total_steps`` (a run of ``epochs``), rescaled when ``trainer.epochs`` is
    itself searched and was drawn first (plain params are drawn before structured ones)."""
    drawn = values.get("trainer.epochs")
    if total_steps is None or epochs is None or not isinstance(drawn, int) or drawn < 1:
        return total_steps
    return total_steps // epochs * drawn


def _sample_entries(
    trial: Trial,
    entries: Mapping[str, Entry],
    values: dict[str, Any],
    run: tuple[int | None, int | None],
    segments: Mapping[str, int],
) -> None:
    ordered = sorted(entries.items(), key=lambda item: _ORDER.get(getattr(item[1], "kind", ""), 0))
    for name, entry in ordered:
        key = name.partition("/")[2] or name
        if isinstance(entry, Structured):
            steps = _run_steps(*run, values)
            values[key] = _structured(trial, name, key, entry, values, steps, segments)
        else:
            values[key] = _suggest(trial, name, entry)


def sample(
    trial: Trial,
    space: SearchSpace,
    total_steps: int | None = None,
    segments: Mapping[str, int] | None = None,
    epochs: int | None = None,
) -> dict[str, Any]:
    """Define-by-run: the unconditional params, then those of the branches whose choice was drawn.

    Args:
        trial: the Optuna trial.
        space: the search space.
        total_steps: optimizer steps in a run, for ``fraction`` and ``boundaries`` tags.
        segments: for a ``values`` tag whose boundaries are not sampled, how many values to draw.
        epochs: the epochs of a run of ``total_steps``: a searched ``trainer.epochs`` rescales the run, so a
            fraction is of the trial's own run.

    Returns:
        Config keys and their values (conditional params' Optuna names are ``<option>/<key>``).
    """
    values: dict[str, Any] = {}
    _sample_entries(trial, space.params, values, (total_steps, epochs), segments or {})
    for choice, branch in space.conditional.items():
        key, _, option = choice.partition("=")
        if str(values.get(key)) == option:
            _sample_entries(trial, branch, values, (total_steps, epochs), segments or {})
    return values


def enqueue_params(space: SearchSpace, entry: Mapping[str, Any], total_steps: int | None) -> dict[str, Any]:
    """The Optuna params that make :func:`sample` give back ``entry`` (config keys and values) for a trial."""
    chosen = {str(v) for v in entry.values() if isinstance(v, str | bool | int | float)}
    entries = dict(space.params)
    for choice, branch in space.conditional.items():
        if choice.partition("=")[2] in chosen:
            entries.update(branch)
    by_key = {(name.partition("/")[2] or name): name for name in entries}
    params: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in by_key:
            raise ConfigError(f"hydra.sweeper.enqueue.{key}", value, f"a key of params: one of {sorted(by_key)}")
        name, spec = by_key[key], entries[by_key[key]]
        if not isinstance(spec, Structured):
            params[name] = value
        elif spec.kind == "fraction":
            params[f"{name}_fraction"] = value / _need_steps(name, total_steps)
        elif spec.kind == "boundaries":
            total = _need_steps(name, total_steps)
            params[f"{name}_count"] = len(value)
            params.update({f"{name}_{i}": step / total for i, step in enumerate(value)})
        else:
            params.update({f"{name}_{i}": v for i, v in enumerate(value)})
    return params
