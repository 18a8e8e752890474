"""What a sweep leaves behind, for people: ``lrsweep export`` and ``lrsweep report``."""

from __future__ import annotations

from lrsweep.results._export import Exported, export_trial, serialize_schedule
from lrsweep.results._trials import TRIAL_COLUMNS, load_study, trials_frame
from lrsweep.results._write import Report, write_report

__all__ = [
    "TRIAL_COLUMNS",
    "Exported",
    "Report",
    "export_trial",
    "load_study",
    "serialize_schedule",
    "trials_frame",
    "write_report",
]
