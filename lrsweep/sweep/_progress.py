"""The sweep's live line: trials done / n_trials, best so far, the running trial's family and epoch."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lrsweep._internals import BASIC_LAUNCHER_LOGGER

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["SweepProgress", "report_epoch"]

log = logging.getLogger("lrsweep.sweep")

_current: SweepProgress | None = None
_PER_JOB_LOGGERS = (BASIC_LAUNCHER_LOGGER, "lrsweep.data")


def report_epoch(epoch: int, value: float) -> None:
    """Called from a trial running in this process after each epoch; a no-op when no sweep shows progress."""
    if _current is not None:
        _current.epoch(epoch, value)


class SweepProgress:
    """A rich progress bar on a terminal; one log line per finished trial otherwise."""

    def __init__(self, study_name: str, n_trials: int, done: int, epochs: int, live: bool | None = None) -> None:
        self.study_name, self.n_trials, self.done, self.epochs = study_name, n_trials, done, epochs
        self.live = sys.stderr.isatty() if live is None else live
        self.best: str = "-"
        self.running: str = ""
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> SweepProgress:
        global _current
        _current = self
        if self.live:
            # The bar says what each trial did: quiet the launcher's and the loader's per-job lines meanwhile.
            for name in _PER_JOB_LOGGERS:
                logging.getLogger(name).setLevel(logging.WARNING)
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.fields[study]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("best {task.fields[best]}  {task.fields[running]}"),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                "sweep", total=self.n_trials, completed=self.done, study=self.study_name, best=self.best, running=""
            )
        return self

    def __exit__(self, *exc: object) -> None:
        global _current
        _current = None
        if self._bar is not None:
            self._bar.stop()

    def _refresh(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done, best=self.best, running=self.running)

    def trial_started(self, number: int, label: str) -> None:
        self._label = f"#{number} {label}"
        self.running = self._label
        self._refresh()

    def epoch(self, epoch: int, value: float) -> None:
        self.running = f"{self._label} epoch {epoch + 1}/{self.epochs} ({value:.4f})"
        self._refresh()

    def set_done(self, done: int) -> None:
        """The study's COMPLETE and PRUNED trials, all workers' (read from the storage)."""
        if done != self.done:
            self.done = done
            self._refresh()

    def trial_finished(
        self,
        number: int,
        state: str,
        values: Sequence[float] | None,
        best: str | None,
        epochs_run: int | None = None,
        short_run: bool = False,
    ) -> None:
        """A trial ended: its state, its objective(s), and the study's best so far (as :func:`best_label` says).

        A pruned trial shows the epoch it was stopped after, not its value: an early epoch's value is no
        competitor of the best. A short run (``hydra.sweeper.rung_epochs``) shows its value beside its length:
        its whole schedule ran, to be ranked among the short runs."""
        if best is not None:
            self.best = best
        self.running = ""
        self._refresh()
        shown = "" if values is None else " " + ", ".join(f"{v:.4f}" for v in values)
        if state == "PRUNED" and short_run:
            shown = f" (a short run: its whole schedule in {epochs_run} of {self.epochs} epochs){shown}"
        elif state == "PRUNED":
            shown = f" after epoch {epochs_run} of {self.epochs}" if epochs_run else ""
        message = f"trial {number} {state}{shown} · {self.done}/{self.n_trials} done · best {self.best}"
        if self._bar is not None:
            self._bar.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}")
        else:
            log.info(message)
