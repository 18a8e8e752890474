"""Search spaces: the ``params:`` grammar of hydra-optuna-sweeper, turned into Optuna distributions.

Each entry of ``hydra.sweeper.params`` is a Hydra override (``key: expression``) parsed by Hydra's own override
parser, so the grammar is exactly the one users know:

==============================  ===========================================================
``interval(a, b)``              float in [a, b]                (``FloatDistribution``)
``int(interval(a, b))``         integer in [a, b]              (``IntDistribution``)
``tag(log, interval(a, b))``    the same, sampled on a log scale
``range(a, b, step)``           a, a+step, ... below b, as Python's and Hydra's ``range`` (b excluded)
``choice(x, y, ...)``           one of the values              (``CategoricalDistribution``)
anything else                   a fixed override applied to every trial
==============================  ===========================================================

``range`` keeps the same value set whatever the sampler: TPE draws from ``IntDistribution(a, last, step)``
and the grid sampler enumerates the same values. ``conditional`` spaces map a choice (``schedule=cosine_decay``)
to params sampled only when that choice is drawn (Optuna's define-by-run).

Three tags make structured parameters whose values depend on the run's length (``total_steps``), so a space
stays valid when epochs, batch size or data size change:

- ``tag(fraction, interval(a, b))`` on a step count (``decay_steps``): a fraction of the run, sampled as
  ``<key>_fraction`` and passed on as ``round(fraction * total_steps)`` steps;
- ``tag(boundaries, int(interval(a, b)))``: a number of boundaries (``<key>_count``), then that many
  positions in the run (``<key>_0`` ...), passed on as strictly increasing steps inside the run;
- ``tag(values, [log,] [non_increasing,] interval(a, b))``: one value per segment (``<key>_0`` ...), as many as
  the sibling ``boundaries`` has plus one, optionally sorted from high to low.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from lrsweep._errors import ConfigError

__all__ = ["STRUCTURES", "SearchSpace", "Structured", "grid_values", "parse_expression", "parse_space"]

STRUCTURES = ("fraction", "boundaries", "values")


@dataclass(frozen=True)
class Structured:
    """A parameter sampled as several Optuna params and turned into one config value (see the module doc)."""

    kind: str
    distribution: BaseDistribution
    non_increasing: bool = False


Entry = BaseDistribution | Structured


@dataclass(frozen=True)
class SearchSpace:
    """What a trial samples: ``params`` always, ``conditional[choice]`` when ``choice`` was drawn."""

    params: dict[str, Entry] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    conditional: dict[str, dict[str, Entry]] = field(default_factory=dict)

    def keys(self) -> list[str]:
        """Every config key the space can set, conditional ones as ``<option>/<key>``."""
        return [*self.params, *(key for space in self.conditional.values() for key in space)]

    @property
    def structured(self) -> bool:
        return any(isinstance(e, Structured) for e in [*self.params.values(), *self._branch_entries()])

    def _branch_entries(self) -> list[Entry]:
        return [entry for space in self.conditional.values() for entry in space.values()]


def _error(key: str, expression: Any, allowed: str) -> ConfigError:
    return ConfigError(f"hydra.sweeper.params.{key}", expression, allowed)


def parse_expression(key: str, expression: Any) -> Entry | str:
    """One ``params`` entry: a distribution for a sweep expression, else the fixed value as an override string."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    text = str(expression).strip()
    if isinstance(expression, bool):
        text = str(expression).lower()
    try:
        (override,) = OverridesParser.create().parse_overrides([f"{key}={text}"])
    except HydraException as error:
        message = str(error).splitlines()[0]
        raise _error(key, expression, f"a Hydra sweep expression such as interval(a, b) ({message})") from None
    if not override.is_sweep_override():
        return text
    try:
        return _distribution(key, expression, override)
    except HydraException as error:  # e.g. range(0.1, 0.9, 0): Hydra's "Invalid range values"
        message = str(error).splitlines()[0]
        raise _error(key, expression, f"a sweep expression Hydra can expand ({message})") from None


def _distribution(key: str, expression: Any, override: Any) -> Entry:
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep, Transformer

    value: Any = override.value()
    if isinstance(value, ChoiceSweep):
        choices: list[Any] = list(override.sweep_iterator(transformer=Transformer.encode))
        if not choices:
            raise _error(key, expression, "choice(...) with at least one value")
        return CategoricalDistribution(choices)
    if isinstance(value, RangeSweep):
        values: list[Any] = list(override.sweep_iterator())
        if not values:
            raise _error(key, expression, "range(a, b, step) with at least one value (b is excluded)")
        if value.shuffle:
            return CategoricalDistribution(values)
        if all(isinstance(v, int) for v in (value.start, value.stop, value.step)):
            return IntDistribution(int(values[0]), int(values[-1]), step=int(value.step))
        return FloatDistribution(float(values[0]), float(values[-1]), step=float(value.step))
    if isinstance(value, IntervalSweep):
        start: Any = value.start
        end: Any = value.end
        if not start < end:
            raise _error(key, expression, "interval(a, b) with a < b")
        log = "log" in value.tags
        if log and start <= 0:
            raise _error(key, expression, "tag(log, interval(a, b)) with a > 0")
        structure = [tag for tag in value.tags if tag in STRUCTURES]
        unknown = set(value.tags) - {"log", "non_increasing", *STRUCTURES}
        if unknown or len(structure) > 1:
            raise _error(key, expression, f"tags among log, non_increasing and one of {list(STRUCTURES)}")
        if isinstance(start, int) and isinstance(end, int):
            distribution: BaseDistribution = IntDistribution(start, end, log=log)
        else:
            distribution = FloatDistribution(float(start), float(end), log=log)
        if not structure:
            return distribution
        kind = structure[0]
        if kind == "boundaries" and not (isinstance(distribution, IntDistribution) and start >= 1):
            raise _error(key, expression, "tag(boundaries, int(interval(a, b))) with 1 <= a: a number of boundaries")
        if kind == "fraction" and not (start > 0 and end <= 1):
            raise _error(key, expression, "tag(fraction, interval(a, b)) with 0 < a < b <= 1")
        return Structured(kind, distribution, non_increasing="non_increasing" in value.tags)
    raise _error(key, expression, "interval(...), int(interval(...)), range(...), choice(...) or a fixed value")


def _parse_params(params: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Entry], dict[str, str]]:
    distributions: dict[str, Entry] = {}
    fixed: dict[str, str] = {}
    for key, expression in params.items():
        parsed = parse_expression(str(key), expression)
        if isinstance(parsed, BaseDistribution | Structured):
            distributions[f"{prefix}{key}"] = parsed
        else:
            fixed[str(key)] = parsed
    return distributions, fixed


def parse_space(
    params: Mapping[str, Any] | None, conditional: Mapping[str, Mapping[str, Any]] | None = None
) -> SearchSpace:
    """Parse ``hydra.sweeper.params`` (and ``conditional``) into a :class:`SearchSpace`.

    Raises:
        ConfigError: naming ``hydra.sweeper.params.<key>`` and what the grammar allows.
    """
    distributions, fixed = _parse_params(params or {})
    branches: dict[str, dict[str, Entry]] = {}
    for choice, branch in (conditional or {}).items():
        key, _, option = str(choice).partition("=")
        chooser = distributions.get(key)
        if not isinstance(chooser, CategoricalDistribution):
            raise ConfigError(
                f"hydra.sweeper.conditional.{choice}",
                dict(branch),
                "keyed by KEY=OPTION, KEY being a choice(...) in params",
            )
        if option not in {str(c) for c in chooser.choices}:
            raise ConfigError(
                f"hydra.sweeper.conditional.{choice}", option, f"one of the choices of {key}: {list(chooser.choices)}"
            )
        branch_distributions, branch_fixed = _parse_params(branch, prefix=f"{option}/")
        if branch_fixed:
            raise ConfigError(f"hydra.sweeper.conditional.{choice}", branch_fixed, "sweep expressions only")
        branches[str(choice)] = branch_distributions
    return SearchSpace(params=distributions, fixed=fixed, conditional=branches)


def grid_values(name: str, distribution: Entry) -> list[Any]:
    """The values the grid sampler enumerates: the same set any other sampler draws from."""
    if isinstance(distribution, Structured):
        raise ConfigError(f"hydra.sweeper.params.{name}", distribution.kind, "no structured tag for the grid sampler")
    if isinstance(distribution, CategoricalDistribution):
        return list(distribution.choices)
    if isinstance(distribution, IntDistribution) and not distribution.log:
        return list(range(distribution.low, distribution.high + 1, distribution.step))
    if isinstance(distribution, FloatDistribution) and distribution.step is not None:
        count = round((distribution.high - distribution.low) / distribution.step) + 1
        return [distribution.low + i * distribution.step for i in range(count)]
    raise ConfigError(
        f"hydra.sweeper.params.{name}",
        repr(distribution),
        "choice(...) or range(...) for the grid sampler (intervals are continuous)",
    )
