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
from lrsweep.sweep.space._baselines import baseline
from lrsweep.sweep.space._grammar import SearchSpace, Structured, parse_expression
from lrsweep.sweep.space._sample import enqueue_params, sample

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from lrsweep.sweep.space._custom import Extend

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


TUTORIAL = "+tutorial"
"""The ``enqueue`` key of the tutorial's runs (``conf/tutorial/``): SGD rates for the tutorial's CNN."""
_TUTORIAL_SETUP = {"model._target_": "lrsweep.models.seed_cnn", "optimizer._target_": "keras.optimizers.SGD",
                   "data._target_": "lrsweep.data.load_fashion_mnist"}  # fmt: skip


def _setup_differs(config: DictConfig) -> list[str]:
    """How the job's setup differs from the tutorial's (its CNN, SGD, Fashion-MNIST), as ``key=value``."""
    from omegaconf import OmegaConf

    found = {key: OmegaConf.select(config, key, default=None) for key in _TUTORIAL_SETUP}
    return [f"{key}={value}" for key, value in found.items() if value != _TUTORIAL_SETUP[key]]


def _within(distribution: Any, value: Any) -> bool:
    if isinstance(distribution, CategoricalDistribution):
        return value in distribution.choices
    return bool(distribution.low <= value <= distribution.high)


def _outside(space: SearchSpace, params: dict[str, Any], run: tuple[int | None, dict[str, int], int]) -> list[str]:
    """The enqueued params a trial would get outside their distributions, found through the real sampling: the
    params fixed on a trial of a throwaway study, then sampled as a sweep samples."""
    import warnings

    pairs = [*space.params.items(), *(item for branch in space.conditional.values() for item in branch.items())]
    choices = {name: spec for name, spec in pairs if isinstance(spec, CategoricalDistribution)}
    outside = [
        f"{name}={value}" for name, value in params.items() if name in choices and not _within(choices[name], value)
    ]
    if outside:  # a choice cannot be forced (e.g. a space narrowed on the command line)
        return outside
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial(params)
    trial = study.ask()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's "Fixed parameter … is out of range": what is looked for here
        sample(trial, space, run[0], run[1], run[2])
    for name, value in params.items():
        distribution = trial.distributions.get(name)
        if distribution is not None and not _within(distribution, value):
            outside.append(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}")
    return outside


def baseline_params(
    entries: Sequence[Any],
    space: SearchSpace,
    compose: Callable[[list[str]], DictConfig],
    run: tuple[int | None, dict[str, int], int],
    limit: int,
    config: DictConfig,
    notes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The Optuna params of the ``enqueue`` entries that fit the study, computed before it exists (see
    :func:`~lrsweep.sweep.space._baselines.baseline`); one line in ``notes`` (else the log) for each kind left out:

    - the tutorial's runs (``+tutorial: …``) unless the study trains the tutorial's CNN with SGD on Fashion-MNIST:
      their rates were tuned for that;
    - an entry whose values the space cannot draw (a choice it lacks, a value outside a range: the sampler would
      take it for a sample of the space);
    - entries beyond ``limit`` (``hydra.sweeper.enqueue_share`` of the budget), so the search keeps its trials.

    Args:
        run: the run's optimizer steps, the segments of fixed boundaries and the epochs (as a trial samples).
    """
    said: list[str] = [] if notes is None else notes
    differs = _setup_differs(config)
    tutorial = [entry for entry in entries if isinstance(entry, Mapping) and TUTORIAL in entry]
    if tutorial and differs:
        said.append(f"not enqueued: the tutorial's {len(tutorial)} SGD settings ({TUTORIAL}), tuned for its CNN "
                    f"with SGD on Fashion-MNIST; this study has {', '.join(differs)}")  # fmt: skip
        entries = [entry for entry in entries if not (isinstance(entry, Mapping) and TUTORIAL in entry)]
    found = []
    for entry in entries:
        params = enqueue_params(space, baseline(entry, space, compose), run[0])
        outside = _outside(space, params, run)
        if outside:
            said.append(f"not enqueued ({', '.join(outside)} outside the space): {entry}")
            continue
        found.append(params)
    if len(found) > limit:
        said.append(f"enqueued the first {limit} of {len(found)} baselines (hydra.sweeper.enqueue_share of n_trials)")
    if notes is None:
        for line in said:
            log.info("%s", line)
    return found[:limit]
