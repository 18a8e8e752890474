"""How tests run what a user types: ``lrsweep`` in a fresh process, from a working directory, with the test's
environment (the synthetic Fashion-MNIST of ``LRSWEEP_DATA_DIR``, no inherited MLflow URI: see conftest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository: on ``PYTHONPATH`` with ``with_repo``, so the user-style factories of ``tests/`` import."""
LRSWEEP = str(Path(sys.executable).with_name("lrsweep"))
"""The console script of the venv the tests run in."""


def run_lrsweep(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    with_repo: bool = False,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``lrsweep ARGS`` from ``cwd``: this process's environment with ``env`` on top and ``unset`` removed."""
    environment = {**os.environ, **({"PYTHONPATH": str(ROOT)} if with_repo else {}), **(env or {})}
    for name in unset:
        environment.pop(name, None)
    return subprocess.run([LRSWEEP, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=timeout)


def at_a_terminal() -> None:
    """``preexec_fn`` of a process a test presses Ctrl-C in: SIGINT at its default, as for a command typed at a
    terminal, even where the suite was started in the background (a non-interactive shell's ``&`` ignores SIGINT,
    every child inherits that, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
