"""``lrsweep export``, ``report`` and ``check``: subcommands handled before Hydra sees the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lrsweep._errors import LRSweepError, report

__all__ = ["SUBCOMMANDS", "run_subcommand"]

SUBCOMMANDS = ("export", "report", "check")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrsweep", description="Results of lrsweep studies.")
    commands = parser.add_subparsers(dest="command", required=True)
    storage_help = "Optuna storage URL (default: sqlite:///lrsweep.db in this directory)"

    export = commands.add_parser("export", help="write the best trial's schedule as a config preset and Keras JSON")
    export.add_argument("--study", required=True, help="study name")
    export.add_argument("--storage", help=storage_help)
    export.add_argument("--out", default="export", help="output folder (default: ./export)")
    export.add_argument("--trial", type=int, help="a COMPLETE trial's number instead of the best one")

    report = commands.add_parser("report", help="compare trials and families of one or more studies")
    report.add_argument("--study", required=True, action="append", help="study name (repeat to compare studies)")
    report.add_argument("--storage", help=storage_help)
    report.add_argument("--out", default="report", help="output folder (default: ./report)")
    report.add_argument("--top", type=int, default=5, help="trials shown in the figures (default: 5)")

    check = commands.add_parser(
        "check", help="verify that the MLflow runs agree with the study's trials (exit 1 on any mismatch)"
    )
    check.add_argument("--study", required=True, help="study name")
    check.add_argument("--storage", help=storage_help)
    return parser


def run_subcommand(argv: Sequence[str]) -> int:
    arguments = _parser().parse_args(list(argv))
    try:
        if arguments.command == "export":
            from lrsweep.results import export_trial

            exported = export_trial(arguments.study, arguments.storage, arguments.out, arguments.trial)
            print(f"exported trial {exported.trial_number} of '{arguments.study}' (objective {exported.value:.4f}):")
            for path in (exported.config, exported.schedule_json, exported.snippet):
                print(f"  {path}")
            print(f"retrain with: lrsweep --config-dir {arguments.out} schedule={exported.name}")
            print(f"use it on your model: from use_schedule import fit; fit(model, x, y)  (in {arguments.out}/)")
        elif arguments.command == "check":
            from lrsweep.results import check_study

            result = check_study(arguments.study, arguments.storage)
            print(result.text())
            return 0 if result.ok else 1
        else:
            from lrsweep.results import write_report

            print(write_report(arguments.study, arguments.storage, arguments.out, arguments.top).text())
    except LRSweepError as error:
        return report(error)
    return 0
