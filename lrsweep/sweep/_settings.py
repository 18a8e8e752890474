"""The settings of a sweep (``hydra.sweeper.*``): every default once, checked once, frozen.

The Hydra plugin's schema (:mod:`hydra_plugins.lrsweep_sweeper.config`) is made from :class:`SweepSettings`'
fields (their types and defaults), with :data:`PRESETS` as its defaults list, and the table of sweeper
settings in ``docs/configuration.md`` is generated from the fields' metadata
(:func:`lrsweep._docs.settings_table`). This module imports nothing heavy: the plugin reads it at Hydra's start-up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep._plain import plain

__all__ = ["DEFAULTS", "PACK_AUTO", "PRESETS", "SweepSettings"]

PRESETS = {"sampler": "tpe", "pruner": "median"}
PACK_AUTO = 8  # ``pack=auto`` on a GPU with JAX: provisional, until GPU measurements set it
"""The default presets of ``hydra/sweeper/sampler`` and ``hydra/sweeper/pruner``."""


def _doc(shown: str, meaning: str) -> dict[str, str]:
    """A field's row in the settings table (``docs/configuration.md``): the default as shown there, and what the
    setting does."""
    return {"shown": shown, "meaning": meaning}


@dataclass(frozen=True, kw_only=True)
class SweepSettings:
    """``hydra.sweeper``'s values for one sweep, checked: build with :meth:`from_hydra`."""

    study_name: str | None = field(
        default=None, metadata=_doc("the sweep's name", "the Optuna study, and the MLflow experiment")
    )
    storage: str | None = field(
        default=None,
        metadata=_doc(
            "`sqlite:///lrsweep.db` here",
            "any Optuna storage URL: `postgresql://user:password@host/db`, `mysql://user:password@host/db` (lrsweep "
            "brings the psycopg and PyMySQL drivers and uses them for the bare schemes)",
        ),
    )
    direction: str | list[str] | None = field(
        default=None,
        metadata=_doc(
            "from `trainer.objective`",
            "`maximize` or `minimize`; null: the objective's own direction; a list, one per objective of a "
            "multi-objective study (`[maximize, minimize]` with `trainer.objective=[val_accuracy,fit_seconds]`)",
        ),
    )
    n_trials: int = field(
        default=20, metadata=_doc("20 (40 for all_families)", "COMPLETE + PRUNED trials the study ends with")
    )
    n_jobs: int | str = field(
        default="auto",
        metadata=_doc(
            "`auto`",
            "trials at a time on this machine: with Hydra's basic launcher, that many warm worker processes (a freed "
            "one takes the next trial at once, no batch barrier), shared out over the GPUs (see "
            "[GPUs](scaling-out.md#gpus)); `auto` is one trial at a time in the sweep's own process on a machine "
            "without an NVIDIA GPU, and several warm "
            "workers per GPU on one with. With another launcher (`hydra/launcher=joblib`, `submitit_slurm`, …) that "
            "many trials per launch (`auto`: 1)",
        ),
    )
    pack: int | str | None = field(
        default=None,
        metadata=_doc(
            "null",
            f"trials trained at once in one vmapped JAX step (JAX only); `auto`: {PACK_AUTO} on a GPU with JAX "
            "(provisional), else off; null or 1: off. See [Packed trials](sweeps.md#packed-trials)",
        ),
    )
    repeats: int = field(
        default=1,
        metadata=_doc(
            "1",
            "seeds per sampled configuration (`trainer.seed`, +1, …): the objective is their mean (std in user attr "
            "`objective_std`); the first seed reports for pruning, the others are MLflow runs nested under the "
            "trial's run",
        ),
    )
    prune_from: str = field(
        default="start",
        metadata=_doc(
            "`start`",
            "when the pruner may first stop a trial: `start`, after any epoch (Optuna's way); `peak`, only from the "
            "first epoch that ends after the trial's learning rate has peaked, so a schedule still warming up (or "
            "ramping to one-cycle's peak) is not compared with ones that have decayed; its earlier epochs are "
            "reported all the same",
        ),
    )
    rung_epochs: int | None = field(
        default=None,
        metadata=_doc(
            "null",
            "budget fidelity, successive halving over whole schedules: each sampled configuration first trains its "
            "whole schedule compressed into this many epochs (its `fraction` parameters are shares of that short "
            "run) and ends PRUNED; the best `1/reduction_factor` of the short runs so far run again at the full "
            "`trainer.epochs` (user attr `lrsweep.promotes`), and the budget's last trial promotes the best one "
            "left; the pruner judges no trial (null: off). See "
            "[Short runs](sweeps.md#short-runs-of-the-whole-schedule)",
        ),
    )
    reduction_factor: int = field(
        default=3,
        metadata=_doc("3", "with `rung_epochs`: one short run in this many is promoted to a full run"),
    )
    verify_top: int = field(
        default=0,
        metadata=_doc(
            "0",
            "after the search, the best this many configurations (COMPLETE, distinct) each run again with "
            "`verify_seeds` fresh seeds, as trials of the study (user attr `lrsweep.verifies`), never pruned; the "
            "summary, `lrsweep report` and `lrsweep export` then rank by the mean over those seeds (0: off)",
        ),
    )
    verify_seeds: int = field(
        default=3,
        metadata=_doc("3", "fresh seeds per verified configuration: `trainer.seed` + 1000, + 1001, …"),
    )
    controls: list[str] = field(
        default_factory=lambda: ["constant", "schedule_free"],
        metadata=_doc(
            "`[constant, schedule_free]`",
            "with `verify_top`, the controls that run with the same fresh seeds, so the verdict says whether a "
            "schedule is needed at all: `constant`, a constant LR at the LR range test's minimum/10 (the study's "
            "test, run now if the sweep had none); `schedule_free`, `keras.optimizers.ScheduleFreeAdamW` at that LR "
            "where the optimizer is Adam-like (Keras has no schedule-free SGD: skipped, with a line); `[]`: none",
        ),
    )
    timeout: float | None = field(default=None, metadata=_doc("null", "seconds after which no new trial starts"))
    max_failure_rate: float = field(
        default=0.5,
        metadata=_doc(
            "0.5",
            "the sweep stops, with one message, once more than this share of its trials failed "
            "(counted from the third)",
        ),
    )
    heartbeat_interval: int | None = field(
        default=10,
        metadata=_doc("10", "seconds between the heartbeats a worker records for each trial it runs (null: off)"),
    )
    grace_period: int | None = field(
        default=60,
        metadata=_doc(
            "60",
            "seconds without a heartbeat after which another worker fails the trial and queues its parameters again",
        ),
    )
    max_retry: int | None = field(
        default=3,
        metadata=_doc("3", "how many times the parameters of a trial whose worker died are re-run (null: no limit)"),
    )
    storage_timeout: float = field(
        default=600.0,
        metadata=_doc(
            "600", "seconds workers wait, retrying with back-off, while the study's database does not answer"
        ),
    )
    sampler: Any = field(
        default=None,
        metadata=_doc(
            f"`{PRESETS['sampler']}` (seed 0, multivariate, constant liar)",
            "`hydra/sweeper/sampler=tpe\\|random\\|qmc\\|cmaes\\|gp\\|nsgaii\\|grid`; its fields are the Optuna "
            "constructor's arguments: `hydra.sweeper.sampler.<arg>=` (null: Optuna's default)",
        ),
    )
    pruner: Any = field(
        default=None,
        metadata=_doc(
            f"`{PRESETS['pruner']}`", "`hydra/sweeper/pruner=median\\|successive_halving\\|hyperband\\|none`"
        ),
    )
    params: dict[str, Any] = field(
        default_factory=dict,
        metadata=_doc(
            "the sweep file's",
            "search space, in hydra-optuna-sweeper's grammar ([Sweeps](sweeps.md#the-search-space-grammar))",
        ),
    )
    conditional: dict[str, Any] = field(
        default_factory=dict,
        metadata=_doc(
            "—",
            "`KEY=OPTION: {params}` sampled only when `KEY` drew `OPTION`; `KEY: sweep`: each option's branch is the "
            "params of its own sweep file, `sweeps/<option>.yaml`",
        ),
    )
    enqueue: list[Any] = field(
        default_factory=list,
        metadata=_doc(
            "—",
            "configurations tried first, so a sweep never reports worse than its baseline: `preset` (the composed "
            "defaults), or overrides (`schedule: constant`, `+tutorial: sgd_decay`, `schedule.decay_rate: 0.9`) "
            "whose unnamed parameters take their composed values",
        ),
    )
    enqueue_share: float | None = field(
        default=0.25,
        metadata=_doc(
            "0.25",
            "the most of `n_trials` the enqueued configurations take (at least one), so the search keeps the rest; "
            "null: every entry",
        ),
    )
    lr_range: str | None = field(
        default=None,
        metadata=_doc(
            "null",
            "`auto`: before the first trial, run the LR range test (`lr_find.*`, as `lrsweep lr-find`) once per "
            "study and narrow every learning-rate parameter of every family in the space to its usable range (log "
            "scale); kept on the study, so a resumed sweep and other workers reuse it; bounds set on the command "
            "line win",
        ),
    )
    resume: str | None = field(
        default=None,
        metadata=_doc(
            "null",
            "a re-run joins its study only when its fixed config (model, data, optimizer, budget, loss, metrics, "
            "objective, space, backend: the study attr `lrsweep.fingerprint`) is the study's; `force`: join anyway, "
            "recorded on the study (`lrsweep.forced_joins`)",
        ),
    )
    custom_search_space: str | None = field(
        default=None,
        metadata=_doc(
            "null",
            "the dotted path of a function `fn(cfg, trial)` called after `params` are sampled, for parameters that "
            'depend on others (hydra-optuna-sweeper\'s hook): what it suggests (`trial.suggest_float("+w", 0, 1)`) '
            "becomes the job's overrides",
        ),
    )
    study_attrs: dict[str, Any] = field(default_factory=dict, metadata=_doc("—", "user attrs set on the Optuna study"))

    def __post_init__(self) -> None:
        self._check_budget()
        self._check_liveness()

    @classmethod
    def from_hydra(cls, settings: Mapping[str, Any]) -> SweepSettings:
        """From ``hydra.sweeper``'s node: plain values (the sampler and pruner nodes kept), flat params keys."""
        values = {name: plain(settings[name]) for name in _FIELDS if name in settings}
        for name in ("sampler", "pruner"):
            if name in settings:
                values[name] = settings[name]
        values["params"] = flatten(values.get("params") or {})
        conditional = values.get("conditional") or {}
        values["conditional"] = {k: v if isinstance(v, str) else flatten(v) for k, v in conditional.items()}
        values["enqueue"] = list(values.get("enqueue") or [])
        values["study_attrs"] = dict(values.get("study_attrs") or {})
        if "controls" in values:
            values["controls"] = list(values["controls"] or [])
        return cls(**values)

    def _check_budget(self) -> None:
        if self.n_trials < 1:
            raise ConfigError("hydra.sweeper.n_trials", self.n_trials, ">= 1")
        if self.n_jobs != "auto" and not (type(self.n_jobs) is int and self.n_jobs >= 1):
            raise ConfigError("hydra.sweeper.n_jobs", self.n_jobs, "an int >= 1 or auto")
        if self.pack not in (None, "auto") and not (type(self.pack) is int and self.pack >= 1):
            raise ConfigError("hydra.sweeper.pack", self.pack, "an int >= 1, auto or null (off)")
        if self.repeats < 1:
            raise ConfigError("hydra.sweeper.repeats", self.repeats, ">= 1")
        if not (type(self.verify_top) is int and self.verify_top >= 0):
            raise ConfigError("hydra.sweeper.verify_top", self.verify_top, "an int >= 0 (0: no verification)")
        if self.prune_from not in ("start", "peak"):
            raise ConfigError("hydra.sweeper.prune_from", self.prune_from, "start or peak")
        if self.rung_epochs is not None and not (type(self.rung_epochs) is int and self.rung_epochs >= 1):
            raise ConfigError("hydra.sweeper.rung_epochs", self.rung_epochs, "an int >= 1 or null (off)")
        if not (type(self.reduction_factor) is int and self.reduction_factor >= 2):
            raise ConfigError("hydra.sweeper.reduction_factor", self.reduction_factor, "an int >= 2")
        unknown = [c for c in self.controls if c not in CONTROLS]
        if unknown:
            raise ConfigError("hydra.sweeper.controls", unknown[0], f"a list of {list(CONTROLS)} (or [])")
        if not (type(self.verify_seeds) is int and self.verify_seeds >= 2):
            raise ConfigError("hydra.sweeper.verify_seeds", self.verify_seeds, "an int >= 2 (a mean and a spread)")
        if not 0.0 <= self.max_failure_rate <= 1.0:
            raise ConfigError("hydra.sweeper.max_failure_rate", self.max_failure_rate, "in [0.0, 1.0]")
        if self.enqueue_share is not None and not 0.0 <= self.enqueue_share <= 1.0:
            raise ConfigError("hydra.sweeper.enqueue_share", self.enqueue_share, "in [0.0, 1.0]")
        if self.resume not in (None, "force"):
            raise ConfigError("hydra.sweeper.resume", self.resume, "force or null (join only the same experiment)")
        if self.lr_range not in (None, "auto"):
            raise ConfigError("hydra.sweeper.lr_range", self.lr_range, "auto or null (off)")
        given = self.direction if isinstance(self.direction, list) else [self.direction]
        if self.direction == [] or (self.direction is not None and any(d not in _DIRECTIONS for d in given)):
            raise ConfigError(
                "hydra.sweeper.direction",
                self.direction,
                "maximize, minimize, a list of them (one per objective) or null",
            )

    def _check_liveness(self) -> None:
        interval, grace = self.heartbeat_interval, self.grace_period
        if interval is not None and interval < 1:
            raise ConfigError("hydra.sweeper.heartbeat_interval", interval, ">= 1 (seconds) or null")
        if grace is not None and (grace < 1 or (interval is not None and grace <= interval)):
            raise ConfigError("hydra.sweeper.grace_period", grace, "more seconds than hydra.sweeper.heartbeat_interval")
        if self.max_retry is not None and self.max_retry < 0:
            raise ConfigError("hydra.sweeper.max_retry", self.max_retry, ">= 0 or null (no limit)")
        if self.storage_timeout < 0:
            raise ConfigError("hydra.sweeper.storage_timeout", self.storage_timeout, ">= 0 (seconds)")

    @property
    def jobs(self) -> int:
        """Trials at a time before GPUs are counted: ``n_jobs``, or 1 for ``auto``."""
        return self.n_jobs if isinstance(self.n_jobs, int) else 1

    def enqueue_limit(self, n_trials: int) -> int:
        """How many enqueued configurations a study of ``n_trials`` takes: ``enqueue_share`` of it, at least one."""
        if self.enqueue_share is None:
            return len(self.enqueue)
        return max(1, int(self.enqueue_share * n_trials))

    @property
    def poll_s(self) -> float:
        """How often a worker with nothing to run looks at the study again."""
        return float(self.heartbeat_interval or 5)

    @property
    def stale_after_s(self) -> float:
        """Seconds without a heartbeat before a trial counts as lost."""
        return float(self.grace_period or 2 * (self.heartbeat_interval or 0))


_FIELDS = {f.name for f in dataclasses.fields(SweepSettings)}
_DIRECTIONS = ("maximize", "minimize")
CONTROLS = ("constant", "schedule_free")
DEFAULTS = SweepSettings()
"""Every sweeper default."""


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"schedule": {"decay_rate": ...}}`` (as ``hydra.sweeper.params.schedule.decay_rate=...`` on the command
    line makes it) to ``{"schedule.decay_rate": ...}``, the flat keys of the sweep files."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
