"""``lrsweep export``, ``report`` and ``check``: subcommands handled before Hydra sees the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lrsweep._errors import LRSweepError, report

__all__ = ["SUBCOMMANDS", "run_subcommand"]

SUBCOMMANDS = ("export", "report", "check", "lr-find")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrsweep", description="Results of lrsweep studies.")
    commands = parser.add_subparsers(dest="command", required=True)
    storage_help = "Optuna storage URL (default: sqlite:///lrsweep.db in this directory)"

    export = commands.add_parser("export", help="write the best trial's schedule as a config preset and Keras JSON")
    export.add_argument("--study", required=True, help="study name")
    export.add_argument("--storage", help=storage_help)
    export.add_argument("--out", default="export", help="output folder (default: ./export)")
    export.add_argument(
        "--trial",
        type=int,
        help="a COMPLETE trial's number instead of the best one (multi-objective studies: instead of the Pareto "
        "front's best on the first objective)",
    )

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

    find = commands.add_parser(
        "lr-find",
        help="the LR range test on the configured model and data: usable learning rates, lr_find.png and .csv",
        description="Train from the seed weights while the LR grows exponentially from lr_find.min_lr to "
        "lr_find.max_lr; report the loss curve, its suggestions and the usable LR range. Overrides are the "
        "ones `lrsweep` takes (optimizer=adam, data=arrays data.path=..., lr_find.num_steps=200).",
    )
    find.add_argument("--out", default="lr_find", help="folder for lr_find.png and lr_find.csv (default: ./lr_find)")
    find.add_argument("overrides", nargs="*", help="Hydra overrides, as for `lrsweep`")
    return parser


def _lr_find(overrides: list[str], out: str) -> int:
    from hydra.utils import instantiate

    from lrsweep._compose import compose
    from lrsweep.lrfind import check_settings, log_range_test, range_test, write_range_test
    from lrsweep.training import flatten_params

    config = compose(overrides)
    check_settings(config.lr_find)  # before any data is loaded
    test = range_test(config)
    png, csv = write_range_test(test, out)
    tracker = instantiate(config.tracking)
    params = {**flatten_params(config), **{f"lr_find.{k}": str(v) for k, v in config.lr_find.items()}}
    run_id = log_range_test(test, tracker, params)
    where = f" · MLflow run {run_id}" if run_id else ""
    print(f"lrsweep lr-find: {test.summary()} · {png}, {csv}{where}")
    return 0


def run_subcommand(argv: Sequence[str]) -> int:
    parser = _parser()
    arguments = parser.parse_args(list(argv))
    try:
        if arguments.command == "lr-find":
            return _lr_find(arguments.overrides, arguments.out)
        if arguments.command == "export":
            from lrsweep.results import export_trial

            exported = export_trial(arguments.study, arguments.storage, arguments.out, arguments.trial)
            shown = ", ".join(f"{v:.4f}" for v in exported.values)
            picked = f"; picked {exported.rule}" if exported.rule else ""
            print(f"exported trial {exported.trial_number} of '{arguments.study}' (objective {shown}{picked}):")
            print(f"  study of: {exported.fingerprint}")
            for path in (exported.config, exported.schedule_json, exported.snippet):
                print(f"  {path}")
            if exported.experiment is not None:
                print(f"  {exported.experiment}")
                print(f"retrain the trial (its model, data, optimizer and trainer): {exported.retrain}")
                print(f"its schedule alone: lrsweep --config-dir {arguments.out} schedule={exported.name} [overrides]")
            else:  # a study of an older lrsweep: the trial's job was not recorded
                print(f"retrain with: {exported.retrain}")
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
