"""What a sweep leaves behind, for people: ``lrsweep export``, ``lrsweep report`` and ``lrsweep check``."""

from __future__ import annotations

from lrsweep.results._check import CheckResult, check_study
from lrsweep.results._export import Exported, export_trial, serialize_schedule
from lrsweep.results._trials import TRIAL_COLUMNS, load_study, trials_frame
from lrsweep.results._write import Report, write_report

__all__ = [
    "TRIAL_COLUMNS",
    "CheckResult",
    "Exported",
    "Report",
    "check_study",
    "export_trial",
    "load_study",
    "serialize_schedule",
    "trials_frame",
    "write_report",
]
