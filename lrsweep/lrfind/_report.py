"""What a range test leaves: ``lr_find.png`` and ``lr_find.csv`` in a folder, and an MLflow run
(``lrsweep.role=lr_find``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrsweep import _keys as keys

if TYPE_CHECKING:
    from lrsweep.lrfind._run import RangeTest
    from lrsweep.tracking import Tracker

__all__ = ["log_range_test", "plot_range_test", "write_range_test"]


def plot_range_test(test: RangeTest) -> Any:
    """Loss against learning rate (log axis): each batch's loss, the smoothed curve, the suggestions, the range."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    s = test.suggestions
    figure = Figure(figsize=(7.5, 4.2), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    axes.axvspan(s.lower, s.upper, color="tab:green", alpha=0.12, label=f"usable range {s.lower:.1e} … {s.upper:.1e}")
    axes.plot(test.lrs, test.losses, color="0.7", linewidth=0.8, label="loss of each batch")
    axes.plot(test.lrs, test.smoothed, color="tab:blue", linewidth=1.8, label="smoothed")
    for value, name, color in (
        (s.steepest, "steepest", "tab:orange"),
        (s.minimum_tenth, "minimum/10", "tab:red"),
        (s.valley, "valley", "tab:purple"),
    ):
        axes.axvline(value, color=color, linestyle="--", linewidth=1.0, label=f"{name} {value:.1e}")
    axes.set_xscale("log")
    if len(test.smoothed):  # from just below the lowest loss to half again the first: the divergence is off the top
        low, top = float(min(test.smoothed.min(), test.losses.min())), float(test.smoothed[0]) * 1.5
        axes.set_ylim(low - 0.05 * (top - low), top)
    axes.set_xlabel("learning rate")
    axes.set_ylabel("training loss")
    end = "diverged" if s.diverged else "reached max_lr"
    axes.set_title(f"LR range test: {len(test.lrs)} steps, {test.optimizer} ({end})")
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8, loc="upper left")
    return figure


def write_range_test(test: RangeTest, out: str | Path) -> tuple[Path, Path]:
    """``out/lr_find.png`` and ``out/lr_find.csv``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png, csv = out / "lr_find.png", out / "lr_find.csv"
    plot_range_test(test).savefig(png)
    csv.write_text(test.csv())
    return png, csv


def log_range_test(test: RangeTest, tracker: Tracker, params: dict[str, str]) -> str | None:
    """One run for the test: its settings, the curve as metrics, the suggestions, the plot and the CSV."""
    tracker.start(run_name="lr_find", params=params, tags={keys.TAG_ROLE: keys.ROLE_LR_FIND})
    metrics = [("lr_find.lr", float(lr), i) for i, lr in enumerate(test.lrs)]
    metrics += [("lr_find.loss", float(loss), i) for i, loss in enumerate(test.losses)]
    metrics += [("lr_find.smoothed_loss", float(loss), i) for i, loss in enumerate(test.smoothed)]
    metrics += [(f"lr_find.{name}", float(value), 0) for name, value in test.suggestions.as_dict().items()]
    tracker.log_metrics(metrics)
    tracker.log_figure(plot_range_test(test), "lr_find.png")
    tracker.log_text(test.csv(), "lr_find.csv")
    tracker.end("finished")
    return tracker.run_id
