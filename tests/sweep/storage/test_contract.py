"""The exact-budget machinery at unit level, one contract for each kind of storage a study lives on (SQLite, and
this machine's PostgreSQL and MariaDB): the study's lock lets one holder in at a time and dies with its holder,
the retry rides out a storage that stops answering and gives up after its patience, and heartbeats keep a
running trial alive while a dead worker's trial is failed and queued again."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import optuna
import pytest
from optuna.trial import TrialState

from lrsweep import _keys as keys
from lrsweep._internals import trial_id
from lrsweep.sweep.storage._heartbeat import Heartbeats, RetryStaleTrial, fail_stale_trials
from lrsweep.sweep.storage._lock import StudyLock
from lrsweep.sweep.storage._retry import StorageUnavailableError, retry_storage
from lrsweep.sweep.storage._study import connect_storage
from tests.servers import fresh_database

pytestmark = pytest.mark.filterwarnings(  # Optuna's, for heartbeats outside Study.optimize, as lrsweep runs them
    "ignore::optuna.exceptions.ExperimentalWarning", "ignore:Heartbeat of storage:UserWarning"
)
KINDS = ["sqlite", "postgresql", "mysql"]
UNREACHABLE = {  # the same kind of storage, where nothing answers (a refused connection, a missing folder)
    "sqlite": "sqlite:////nonexistent-lrsweep-folder/study.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/none",
    "mysql": "mysql+pymysql://root@127.0.0.1:1/none",
}


@pytest.fixture(scope="module", params=KINDS)
def database(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(kind, URL) of an empty database of each kind, for the module."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'study.db'}"
        return
    with fresh_database(request.param) as (url, _):
        yield request.param, url


def test_the_lock_lets_one_holder_in_at_a_time(database):
    kind, url = database
    first, second, other = StudyLock(url, "lrsweep:s"), StudyLock(url, "lrsweep:s"), StudyLock(url, "lrsweep:t")
    events: list[tuple[str, float]] = []
    held = threading.Event()

    def hold() -> None:
        with first:
            events.append(("first in", time.monotonic()))
            held.set()
            time.sleep(1.0)
            events.append(("first out", time.monotonic()))

    def wait_then_enter() -> None:
        held.wait(10)
        with second:
            events.append(("second in", time.monotonic()))

    threads = [threading.Thread(target=hold), threading.Thread(target=wait_then_enter)]
    for thread in threads:
        thread.start()
    held.wait(10)
    with other:  # another study's lock: its own, but on SQLite one file lock serves the whole database
        events.append(("other in", time.monotonic()))
    for thread in threads:
        thread.join(20)
    for lock in (first, second, other):
        lock.close()
    at = dict(events)
    assert at["second in"] >= at["first out"]
    if kind == "sqlite":
        assert at["other in"] >= at["first out"]
    else:
        assert at["first in"] <= at["other in"] < at["first out"]


def test_the_lock_dies_with_its_holder(database):
    _, url = database
    code = (
        "import sys, time\n"
        "from lrsweep.sweep.storage._lock import StudyLock\n"
        "with StudyLock(sys.argv[1], 'lrsweep:dies'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waiting, entered = StudyLock(url, "lrsweep:dies"), threading.Event()

        def enter() -> None:
            with waiting:
                entered.set()

        thread = threading.Thread(target=enter, daemon=True)
        thread.start()
        assert not entered.wait(1.0)  # held by the other process
        holder.kill()  # a worker dies holding the lock
        assert entered.wait(20)
        thread.join(5)
        waiting.close()
    finally:
        holder.kill()
        holder.wait()


def test_the_retry_rides_out_a_storage_that_stops_answering(database):
    kind, url = database
    attempts: list[float] = []

    def call() -> int:
        attempts.append(time.monotonic())
        storage_url = UNREACHABLE[kind] if len(attempts) < 3 else url  # down twice, then back
        return len(optuna.get_all_study_names(optuna.storages.RDBStorage(storage_url)))

    assert retry_storage(call, what="listing studies", url=url, patience=30) >= 0
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] >= 0.4 and attempts[2] - attempts[1] >= 0.8  # 0.5 s, then 1 s (± 20 %)


def test_the_retry_gives_up_after_its_patience_and_passes_other_errors_at_once(database):
    kind, _ = database
    down = UNREACHABLE[kind]
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError, match="did not answer for 2 s"):
        retry_storage(lambda: optuna.storages.RDBStorage(down), what="connecting", url=down, patience=2)
    assert time.monotonic() - started < 10
    calls = []

    def wrong() -> None:
        calls.append(1)
        raise ValueError("not a connection error")

    with pytest.raises(ValueError):
        retry_storage(wrong, what="a bug", url=down, patience=30)
    assert calls == [1]


def test_heartbeats_keep_a_trial_alive_and_a_dead_workers_trial_is_queued_again(database):
    kind, url = database
    callback = RetryStaleTrial(max_retry=3, grace_period=5)  # beats every second: 5 s of grace on a loaded CI
    storage = connect_storage(url, heartbeat_interval=1, grace_period=5, stale_trial_callback=callback)
    study = optuna.create_study(study_name=f"beats_{kind}", storage=storage, direction="maximize")
    alive, dead = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)}), study.ask()
    alive.set_user_attr(keys.TRIAL_FAMILY, "constant")
    beats = Heartbeats(storage, 1)
    beats.add(trial_id(alive))
    storage.record_heartbeat(trial_id(dead))  # one beat, then its worker dies
    time.sleep(6.5)
    fail_stale_trials(study)
    states = {t.number: t.state for t in study.get_trials(deepcopy=False)}
    assert states[alive.number] == TrialState.RUNNING and states[dead.number] == TrialState.FAIL
    beats.close()  # now this worker dies too
    time.sleep(6.5)
    fail_stale_trials(study)
    trials = study.get_trials(deepcopy=False)
    assert trials[alive.number].state == TrialState.FAIL
    queued = [t for t in trials if t.state == TrialState.WAITING]
    assert [t.params for t in queued if t.params] == [alive.params]  # its parameters, queued again
    again = next(t for t in queued if t.params)
    assert again.user_attrs.get(keys.TRIAL_FAMILY) == "constant"
