"""What a sweep checks of its search before the study exists: the choices of config groups, structured params
against the run's length, the ``custom_search_space`` hook on a throwaway trial, and the enqueued baselines.

Each is one :class:`~lrsweep._errors.ConfigError` line naming ``hydra.sweeper.<field>``; nothing here opens the
study's storage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import optuna
from optuna.distributions import CategoricalDistribution, IntDistribution

from lrsweep._errors import ConfigError, LRSweepError
from lrsweep.sweep._derive import baseline
from lrsweep.sweep._sample import enqueue_params, sample
from lrsweep.sweep._space import SearchSpace, Structured, parse_expression

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from lrsweep.sweep._custom import Extend

__all__ = ["baseline_params", "check_custom_hook", "check_group_choices", "check_run_length"]

log = logging.getLogger("lrsweep.sweep")


def check_group_choices(params: Mapping[str, Any], group_options: Callable[[str], list[str] | None]) -> None:
    """A ``choice(...)`` over a config group (``schedule: choice(cosine_decay, nope)``) names only its options.

    ``group_options(key)``: the group's options, or ``None`` when ``key`` is not a config group.
    """
    for key, expression in params.items():
        options = group_options(key.lstrip("+"))
        if options is None:
            continue
        parsed = parse_expression(key, expression)
        if isinstance(parsed, CategoricalDistribution):
            for choice in parsed.choices:
                if str(choice) not in options:
                    raise ConfigError(f"hydra.sweeper.params.{key}", choice, f"one of {options}")


def _fewest_epochs(space: SearchSpace, epochs: int) -> int:
    """The fewest epochs a trial may run: a searched ``trainer.epochs``' lowest value, else ``epochs``."""
    searched = space.params.get("trainer.epochs")
    if isinstance(searched, IntDistribution):
        return max(1, searched.low)
    if isinstance(searched, CategoricalDistribution):
        return max(1, min(int(str(c)) for c in searched.choices))
    return epochs


def check_run_length(space: SearchSpace, steps_per_epoch: int, epochs: int) -> None:
    """A ``tag(boundaries, int(interval(a, b)))`` must fit the shortest run: at least a boundaries strictly inside
    it (a count the run cannot hold is an error; counts above what it holds only some draws reach, with a log
    line: their last boundaries fall at the run's end)."""
    steps = steps_per_epoch * _fewest_epochs(space, epochs)
    entries = [*space.params.items(), *(item for branch in space.conditional.values() for item in branch.items())]
    for name, entry in entries:
        if not (isinstance(entry, Structured) and entry.kind == "boundaries"):
            continue
        low, high = int(getattr(entry.distribution, "low", 0)), int(getattr(entry.distribution, "high", 0))
        key = name.partition("/")[2] or name
        if low > steps - 1:
            raise ConfigError(
                f"hydra.sweeper.params.{key}", f"tag(boundaries, int(interval({low}, {high})))",
                f"at most {steps - 1} boundaries: a run of {steps} optimizer steps has no room for more "
                f"({steps_per_epoch} steps per epoch)",
            )  # fmt: skip
        if high > steps - 1:
            log.info("%s: a run of %d optimizer steps holds at most %d boundaries; draws of more put the last ones "
                     "at its end", name, steps, steps - 1)  # fmt: skip


def check_custom_hook(
    extend: Extend | None,
    path: str | None,
    space: SearchSpace,
    run: tuple[int, dict[str, int], int],
    directions: Sequence[str],
) -> None:
    """Call the ``custom_search_space`` hook once on a trial of a throwaway in-memory study, sampled from the
    space as a real trial is: an exception is one line now, not a failed trial in the real study."""
    if extend is None:
        return
    total_steps, segments, epochs = run
    study = optuna.create_study(directions=list(directions), sampler=optuna.samplers.RandomSampler(seed=0))  # type: ignore[arg-type]
    trial = study.ask()
    sample(trial, space, total_steps, segments, epochs)
    try:
        extend(trial)
    except LRSweepError as error:
        cause = error.__cause__ or error
        allowed = "a function fn(cfg, trial) that runs on a trial sampled from the space"
        raise ConfigError("hydra.sweeper.custom_search_space", path, f"{allowed} (it raised {_said(cause)})") from None


def _said(error: BaseException) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0].strip()}" if lines else type(error).__name__


def baseline_params(
    entries: Sequence[Any], space: SearchSpace, compose: Callable[[list[str]], DictConfig], total_steps: int | None
) -> list[dict[str, Any]]:
    """The Optuna params of each ``enqueue`` entry (see :func:`~lrsweep.sweep._derive.baseline`), computed before
    the study exists; an entry whose choice the space cannot draw is left out, with a log line."""
    pairs = [*space.params.items(), *(item for branch in space.conditional.values() for item in branch.items())]
    choices = {name: set(spec.choices) for name, spec in pairs if isinstance(spec, CategoricalDistribution)}
    found = []
    for entry in entries:
        params = enqueue_params(space, baseline(entry, space, compose), total_steps)
        outside = [name for name, value in params.items() if name in choices and value not in choices[name]]
        if outside:  # e.g. a space narrowed on the command line: a choice cannot be forced
            log.info("not enqueued (%s not among the choices): %s", ", ".join(outside), entry)
            continue
        found.append(params)
    return found
