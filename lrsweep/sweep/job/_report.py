"""What a sweep's job hands back to the sweeper: its objective and what it measured (light: no Optuna import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JobReport", "carried_record", "carry_record"]

_RECORD_ATTRIBUTE = "lrsweep_record"


@dataclass(frozen=True)
class JobReport:
    """What a sweep's job returns: the objective (a list, one per objective, in a multi-objective study), and what
    it measured (run length, epoch times, memory)."""

    value: float | list[float]
    record: dict[str, Any] = field(default_factory=dict)


def carry_record(error: BaseException, record: Mapping[str, Any]) -> None:
    """Let a pruned or failed job's exception carry what the job measured back to the sweeper (it pickles)."""
    setattr(error, _RECORD_ATTRIBUTE, dict(record))


def carried_record(error: BaseException | None) -> dict[str, Any]:
    """What :func:`carry_record` put on ``error`` (empty if nothing)."""
    return dict(getattr(error, _RECORD_ATTRIBUTE, None) or {})
