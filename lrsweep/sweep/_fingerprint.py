"""What a study measures: the fingerprint of everything its trials hold fixed, and the check that keeps a study
from mixing experiments.

lrsweep's storage is persistent by default, so running a sweep again resumes its study. That is right for the same
experiment and wrong for another one: trials of a different model, data, optimizer, budget, loss, objective or
search space ranked together mean nothing. So a study is created with the fingerprint of its job's fixed config
(study user attr ``lrsweep.fingerprint``, a flat mapping a person can read in optuna-dashboard), and a run (or a
joining worker) whose fingerprint differs does not join: one line names the keys that differ, old → new, and the
two ways on: another ``hydra.sweeper.study_name``, or ``hydra.sweeper.resume=force``, recorded on the study
(``lrsweep.forced_joins``).

What is fixed: every key of ``model`` and ``optimizer``; the data by what it holds (name, digest, shapes), not by
where it lies, so workers on other machines agree; ``trainer.epochs``, ``batch_size``, ``loss``, ``metrics``,
``objective`` and the directions; the search space (each parameter's distribution); the Keras backend. A key the
space searches is not fixed, and neither are the seed or settings that change speed, not results (``verbose``,
``reuse``, ``steps_per_execution``).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from lrsweep import _keys as keys
from lrsweep._errors import ConfigError
from lrsweep.sweep.space._grammar import SearchSpace

if TYPE_CHECKING:
    from optuna import Study

__all__ = ["MAIN_KEYS", "bind", "describe", "differences", "fingerprint", "space_fingerprint"]

log = logging.getLogger("lrsweep.sweep")
_SHOWN = 4  # differences named in the refusal; the rest counted

_TRAINER = ("epochs", "batch_size", "loss", "metrics", "objective")
_DATA = ("name", "digest", "train", "val", "targets")
MAIN_KEYS = ("model._target_", "data.name", "data.digest", "optimizer._target_", "trainer.epochs", "trainer.loss",
             "trainer.objective", "direction", "backend")  # fmt: skip
"""The keys ``export``, ``report`` and ``check`` show of a study's fingerprint."""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _flat(prefix: str, node: Any, into: dict[str, str]) -> None:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            _flat(f"{prefix}.{key}", value, into)
    else:
        into[prefix] = _text(node)


def space_fingerprint(space: SearchSpace) -> dict[str, str]:
    """Each searched parameter's distribution, as text (``space.schedule.decay_rate``: ``FloatDistribution(…)``)."""
    entries = {
        **space.params,
        **{name: entry for branch in space.conditional.values() for name, entry in branch.items()},
    }
    return {f"space.{name}": repr(entry) for name, entry in sorted(entries.items())}


def fingerprint(
    config: DictConfig, space: SearchSpace, data: Mapping[str, Any], directions: Sequence[str], backend: str
) -> dict[str, str]:
    """The fingerprint of a study whose jobs compose ``config`` and search ``space`` (see the module doc).

    Args:
        config: one job's composed config, the sampled parameters aside.
        data: the job's data as trials record it (``TrialData.describe()``).
        directions: the study's directions, one per objective.
        backend: the Keras backend the trials train on.
    """
    found: dict[str, str] = {}
    for group in ("model", "optimizer"):
        _flat(group, OmegaConf.to_container(config[group], resolve=True), found)
    for key in _DATA:
        if key in data:
            found[f"data.{key}"] = _text(data[key])
    trainer = OmegaConf.to_container(config.trainer, resolve=True)
    assert isinstance(trainer, dict)
    for key in _TRAINER:
        if key in trainer:
            found[f"trainer.{key}"] = _text(trainer[key])
    found["direction"] = ",".join(directions)
    found["backend"] = backend
    searched = {name.partition("/")[2] or name for name in space.keys()}  # noqa: SIM118 (a SearchSpace)
    fixed = {key: value for key, value in found.items() if key not in searched}
    return {**fixed, **space_fingerprint(space)}


def bind(study: Study, measured: Mapping[str, str], resume: str | None, where: str) -> None:
    """Join ``study`` only if it measures what this run measures (call under the study's lock, before writing).

    A new study (or one an older lrsweep made) gets ``measured`` as its fingerprint. A study with another one is
    refused in one line naming the differing keys, unless ``resume`` is ``force``: then the join is recorded on
    the study (``lrsweep.forced_joins``: when, which worker, what differed) and the sweep goes on.
    """
    recorded = study.user_attrs.get(keys.STUDY_FINGERPRINT)
    if recorded is None:
        if study.trials:
            log.info("study '%s' had no fingerprint (an older lrsweep made it): recorded this run's", study.study_name)
        study.set_user_attr(keys.STUDY_FINGERPRINT, dict(measured))
        return
    changed = differences(recorded, measured)
    if not changed:
        return
    if resume == "force":
        joins = [*study.user_attrs.get(keys.STUDY_FORCED_JOINS, [])]
        at = datetime.now(UTC).isoformat(timespec="seconds")
        joins.append({"at": at, "worker": f"{socket.gethostname()}:{os.getpid()}", "differences": changed})
        study.set_user_attr(keys.STUDY_FORCED_JOINS, joins)
        log.warning("hydra.sweeper.resume=force: joined study '%s' though %s", study.study_name, "; ".join(changed))
        return
    shown = "; ".join(changed[:_SHOWN]) + (f"; and {len(changed) - _SHOWN} more" if len(changed) > _SHOWN else "")
    raise ConfigError(
        "hydra.sweeper.study_name", study.study_name, f"a study of this experiment: '{study.study_name}' in {where} "
        f"holds trials of other fixed settings ({shown}); name a new study (hydra.sweeper.study_name=NAME) or join "
        "this one on purpose (hydra.sweeper.resume=force)",
    )  # fmt: skip


def describe(recorded: Mapping[str, str] | None) -> str:
    """The fingerprint's main keys in one line, as ``export``, ``report`` and ``check`` show them."""
    if not recorded:
        return "no fingerprint (a study of an older lrsweep)"
    return " · ".join(f"{key} {recorded[key]}" for key in MAIN_KEYS if key in recorded)


def differences(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The keys whose values differ, as ``key: old → new`` (``—`` where a side lacks the key)."""
    keys = sorted(set(old) | set(new))
    return [f"{key}: {old.get(key, '—')} → {new.get(key, '—')}" for key in keys if old.get(key) != new.get(key)]
