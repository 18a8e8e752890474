"""The scheduling loop: keep every slot busy until the study's budget is met, then stop.

A freed slot asks for the next trial at once (under the study's lock, so many workers share one exact budget);
each trial is sampled, recorded, turned into its jobs' overrides and submitted; each finished trial is told.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import replace
from typing import TYPE_CHECKING

from optuna.trial import Trial, TrialState

from lrsweep import _keys as keys
from lrsweep._errors import LRSweepError
from lrsweep._internals import trial_id
from lrsweep.sweep._rungs import is_short_run, promote
from lrsweep.sweep._verify import control_fixed
from lrsweep.sweep.job._overrides import TrialTarget, trial_overrides
from lrsweep.sweep.space._sample import sample, to_override
from lrsweep.sweep.storage._heartbeat import fail_stale_trials
from lrsweep.sweep.trials._outcome import Outcome
from lrsweep.sweep.trials._queries import counts
from lrsweep.sweep.trials._writer import ctrl_c_waits

if TYPE_CHECKING:
    from lrsweep.sweep._progress import SweepProgress
    from lrsweep.sweep._session import SweepSession
    from lrsweep.sweep.space._lr_range import RangeTestRunner
    from lrsweep.sweep.workers._executors import Slots

__all__ = ["SweepStopped", "run_loop", "run_verification"]

log = logging.getLogger("lrsweep.sweep")

Running = dict[Future[list[Outcome]], tuple[Trial, str | None]]


class SweepStopped(LRSweepError):
    """The sweep stopped before its budget: too many failed trials."""


def run_loop(session: SweepSession, slots: Slots, progress: SweepProgress) -> None:
    """Run trials until the budget is met (or the timeout passed); abandon the running ones on any error.

    With free slots and the budget covered by other workers' running trials, wait: if one of those workers
    dies, its trial goes stale after the grace period and its parameters come back as a waiting trial.
    """
    started = time.monotonic()
    running: Running = {}
    starting: list[tuple[Trial, str | None]] = []  # a trial between ask and submit (inline slots run it in submit)
    tally = [0, 0]  # trials ended, of which failed
    try:
        while True:
            timeout = session.settings.timeout
            timed_out = timeout is not None and time.monotonic() - started > timeout
            if not timed_out:
                _fill(session, slots, progress, running, starting)
            slots.flush()
            if timed_out and not running:
                log.info("timeout of %s s reached: no new trial starts", timeout)
                return
            if not running:
                if _budget_met(session, progress):
                    return
                time.sleep(session.settings.poll_s)  # other workers' trials cover the budget: see that they finish
                continue
            _collect(session, slots, progress, running, tally)
    except BaseException as error:
        interrupted = isinstance(error, KeyboardInterrupt)
        reason = "interrupted" if interrupted else f"the sweep stopped: {error}"
        status = "killed" if interrupted else "failed"
        left = [*running.values(), *starting]
        if interrupted and left:
            trials = "1 running trial" if len(left) == 1 else f"{len(left)} running trials"
            log.warning("interrupted: marking %s failed (interrupted); the same command resumes the study", trials)
        with ctrl_c_waits():  # every one is marked, not only those before a second Ctrl-C
            for trial, run_id in left:
                session.records.abandon(trial, run_id, reason, status)
                session.heartbeats.remove(trial_id(trial))
        raise


def _fill(
    session: SweepSession,
    slots: Slots,
    progress: SweepProgress,
    running: Running,
    starting: list[tuple[Trial, str | None]],
) -> None:
    """Start trials while slots are free and the budget allows."""
    while len(running) < slots.size:
        trial = session.retry(lambda: _claim(session, progress), "asking for a trial")
        if trial is None:
            return
        starting.append((trial, None))
        run_id, jobs = _start(session, trial, progress)
        starting[-1] = (trial, run_id)
        # Job numbers (and so output folders) follow trial numbers: unique across workers.
        running[slots.submit(jobs, trial.number * session.settings.repeats)] = (trial, run_id)
        starting.clear()


def _budget_met(session: SweepSession, progress: SweepProgress) -> bool:
    done, others = session.retry(lambda: counts(session.study, session.verifying), "counting trials")
    progress.set_done(done)
    return done >= session.n_trials or others == 0 or session.settings.heartbeat_interval is None


def _collect(session: SweepSession, slots: Slots, progress: SweepProgress, running: Running, tally: list[int]) -> None:
    """Wait for a trial to end (or, with a free slot, a poll period) and tell each that did."""
    idle = len(running) < slots.size
    finished, _ = wait(running, timeout=session.settings.poll_s if idle else None, return_when=FIRST_COMPLETED)
    for future in finished:
        trial, run_id = running[future]
        state = _finish(session, trial, run_id, future.result(), progress)
        del running[future]  # only once told: a sweep stopped meanwhile marks it failed, not leaves it RUNNING
        tally[0] += 1
        tally[1] += state == TrialState.FAIL
    ended, failed = tally
    limit = session.settings.max_failure_rate
    if ended >= 3 and failed / ended > limit:
        raise SweepStopped(
            f"{failed} of the last {ended} trials failed (more than hydra.sweeper.max_failure_rate={limit}); see the "
            "failure reasons in the study's trials (user attr fail_reason) or the MLflow runs (tag "
            "lrsweep.failure_reason)"
        )


def _claim(session: SweepSession, progress: SweepProgress) -> Trial | None:
    """Under the study's lock: a new (or waiting) trial if finished plus running trials are below the budget."""
    study = session.study
    with session.lock:
        fail_stale_trials(study)
        done, running = counts(study, session.verifying)
        progress.set_done(done)
        if done + running >= session.n_trials:
            return None
        last = done + running == session.n_trials - 1
        if (
            last
            and session.settings.rung_epochs is not None
            and not session.verifying
            and _wait_for_short_runs(session)
        ):
            return None  # the loop collects them, then asks again
        trial = study.ask()
        session.heartbeats.add(trial_id(trial))
    return trial


def _start(session: SweepSession, trial: Trial, progress: SweepProgress) -> tuple[str | None, list[list[str]]]:
    """Sample a trial, record what it runs and open its MLflow run; its jobs' overrides (one per repeat)."""
    from lrsweep.training import setup_record

    attrs = session.retry(lambda: trial.user_attrs, "reading a trial")  # a verification's or control's marks
    fixed, repeats, rung = session.fixed, session.settings.repeats, session.settings.rung_epochs
    short = rung is not None and not session.verifying and is_short_run(attrs)
    full: list[str] = []
    if keys.TRIAL_CONTROL in attrs:  # a control: its own schedule (and optimizer), none of the space's parameters
        fixed = control_fixed(fixed, attrs[keys.TRIAL_CONTROL_OVERRIDES])
        sampled = list(attrs[keys.TRIAL_CONTROL_OVERRIDES])
    else:
        sampled = _sample(session, trial, session.epochs)
        if short and rung is not None:  # its whole schedule in `rung` epochs; `full`: the configuration in full
            full, sampled, repeats = sampled, [*_sample(session, trial, rung), f"trainer.epochs={rung}"], 1
    if (seed := attrs.get(keys.TRIAL_SEED)) is not None:  # verification or control: its one fresh seed
        sampled, repeats = [*sampled, f"trainer.seed={int(seed)}"], 1
    job_config = session.compose([*fixed, *sampled])
    record = {**setup_record(job_config), keys.TRIAL_OVERRIDES: sampled}
    if short:
        record[keys.TRIAL_RUNG] = {"epochs": rung, "overrides": full}
    run_id = session.records.start(trial, record)
    runs = session.runs
    target = TrialTarget(
        session.study.study_name, session.storage, trial.number, run_id, runs.parent_run_id if runs else None
    )
    jobs = trial_overrides(fixed, sampled, target, repeats=repeats, seed=session.seed)
    progress.trial_started(trial.number, str(record[keys.TRIAL_FAMILY]))
    return run_id, jobs


def _finish(
    session: SweepSession, trial: Trial, run_id: str | None, outcomes: list[Outcome], progress: SweepProgress
) -> TrialState:
    short = keys.TRIAL_RUNG in session.retry(lambda: trial.user_attrs, "reading a trial")
    if short and outcomes and outcomes[-1].state == TrialState.COMPLETE:  # a short run ends PRUNED, its value kept
        outcomes = [replace(o, state=TrialState.PRUNED, values=None) for o in outcomes]
    state, values, label = session.records.finish(trial, run_id, outcomes)
    session.heartbeats.remove(trial_id(trial))
    done = session.retry(lambda: counts(session.study, session.verifying)[0], "counting trials")
    progress.set_done(done)
    ran = len((outcomes[0].record.get(keys.TRIAL_FIT) or {}).get(keys.FIT_EPOCH_SECONDS) or []) if outcomes else None
    progress.trial_finished(trial.number, state.name, values, label, ran, short_run=short)
    if short and state == TrialState.PRUNED:
        with session.lock:
            promoted = session.retry(lambda: _promote(session), "promoting short runs")
        for number in promoted:
            log.info("trial %d's configuration is among the best short runs: it runs again in full", number)
    return state


def _promote(session: SweepSession) -> list[int]:
    done, running = counts(session.study)
    return promote(session.study, session.settings.reduction_factor, session.n_trials - done - running)


def _wait_for_short_runs(session: SweepSession) -> bool:
    """For the budget's last trial, a full run: promote the best short run left; True if none has finished yet
    but some still run (wait for them). Call under the study's lock."""
    study = session.study
    if promote(study, session.settings.reduction_factor, 1, last=True):
        return False
    if study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        return False
    return any(keys.TRIAL_RUNG in t.user_attrs for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def _sample(session: SweepSession, trial: Trial, epochs: int) -> list[str]:
    """The trial's sampled parameters as overrides, for a run of ``epochs`` (``fraction`` tags scale with it)."""
    steps = None if session.total_steps is None else session.total_steps * epochs // session.epochs
    values = session.retry(lambda: sample(trial, session.space, steps, session.segments, epochs), "sampling a trial")
    extend = session.extend  # the user's fn(cfg, trial) for dependent parameters
    if extend is not None:
        values.update(session.retry(lambda: extend(trial), "sampling a trial's custom parameters"))
    return [to_override(k, v) for k, v in values.items()]


def run_verification(session: SweepSession, slots: Slots, range_test: RangeTestRunner) -> None:
    """Once the search is done, its best configurations and the controls run with fresh seeds
    (:mod:`lrsweep.sweep._verify`), as the study's verification trials, shared by every worker that gets here."""
    from lrsweep.sweep._verify import enqueue_controls, enqueue_verification, verification_seeds

    study, settings = session.study, session.settings
    if session.retry(lambda: counts(study)[0], "counting trials") < session.n_trials:
        log.info("no verification: the search stopped before its %d trials", session.n_trials)
        return
    seeds = verification_seeds(session.seed, settings.verify_seeds)
    with session.lock:
        planned = session.retry(lambda: enqueue_verification(study, settings.verify_top, seeds), "enqueuing trials")
        controls = _controls(session, range_test) if planned else {}
        planned += session.retry(lambda: enqueue_controls(study, controls, seeds), "enqueuing controls")
    if not planned:
        return
    log.info(
        "verifying the best %d configuration(s)%s with %d fresh seeds each (trainer.seed %s): %d trials, never pruned",
        settings.verify_top, f" and the controls ({', '.join(controls)})" if controls else "", len(seeds),
        ", ".join(map(str, seeds)), planned,
    )  # fmt: skip
    verifying = replace(session, n_trials=planned, verifying=True)
    from lrsweep.sweep._progress import SweepProgress

    progress = SweepProgress(study.study_name, planned, counts(study, verifying=True)[0], session.epochs)
    with progress:
        run_loop(verifying, slots, progress)


def _controls(session: SweepSession, range_test: RangeTestRunner) -> dict[str, list[str]]:
    """Each control's overrides, at the LR range test's minimum/10 (the study's test, run now if it has none);
    one line for each control that does not apply (call under the study's lock)."""
    from lrsweep._plain import plain
    from lrsweep.sweep._verify import control_overrides
    from lrsweep.sweep.space._lr_range import study_range

    if not session.settings.controls:
        return {}
    record = study_range(session.study, session.runs, range_test)
    if "minimum_tenth" not in record:
        log.info("no controls: the LR range test gave no usable range (%s)", record.get("error"))
        return {}
    optimizer = plain(session.compose(session.fixed).optimizer)
    controls = {}
    for name in session.settings.controls:
        overrides, why = control_overrides(name, float(record["minimum_tenth"]), optimizer)
        if overrides is not None:
            try:  # composed once here: a control that cannot run is a line, not a failed sweep
                session.compose([*control_fixed(session.fixed, overrides), *overrides])
            except Exception as error:
                overrides, why = None, f"no {name} control: {str(error).splitlines()[0]}"
        if overrides is None:
            log.info("%s", why)
        else:
            controls[name] = overrides
    return controls
