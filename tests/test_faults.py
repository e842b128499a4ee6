"""Faults, with real processes: a gunicorn worker killed mid-batch, PostgreSQL restarted under load.

Both start their own durable PostgreSQL cluster and gunicorn, as in production, and stop by themselves.
"""
import asyncio
import json
import os
import signal
import time
import urllib.error
import urllib.request

import pytest

from benchmarks import load
from benchmarks.harness import Gunicorn, free_port, run_apart, start_cluster

pytestmark = pytest.mark.usefixtures("postgres_binaries")  # skipped without them, failed under CI=true

VOLUNTEERS, VOUCHERS, KILLS = 500, 100, 5


def _workers(master: int) -> set[int]:
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                        children.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return children


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, {}


@pytest.fixture
def cluster():
    cluster = start_cluster()
    yield cluster
    cluster.stop()


def test_a_worker_killed_mid_batch_loses_no_acknowledged_check_in_or_confirm(cluster):
    url = cluster.create_database("faults")
    world = load.seed(url, volunteers=VOLUNTEERS, days=6, merchants=3, vouchers=VOUCHERS)
    jobs = load.schedule(world, duration=4, reads=0)
    server = Gunicorn(url, free_port(), workers=2)
    try:
        killed = set()

        async def batch_with_kills():
            running = asyncio.create_task(load.run(server.url, jobs, 32))
            for _ in range(KILLS):  # no clean-up, no finishing of in-flight requests
                await asyncio.sleep(0.6)
                victims = _workers(server.proc.pid) - killed
                if victims:
                    killed.add(max(victims))
                    os.kill(max(victims), signal.SIGKILL)
            return await running

        results, _elapsed = run_apart(batch_with_kills)
        deadline = time.time() + 30
        while time.time() < deadline and len(_workers(server.proc.pid) - killed) < 2:
            time.sleep(0.2)
        assert len(_workers(server.proc.pid) - killed) == 2, "gunicorn did not replace the killed workers"
        assert _get(server.url + "/api/v1/openapi.json")[0] == 200

        # The server acknowledged most of the batch; whatever it acknowledged is in the database.
        acknowledged = [r for r in results if r["status"] == 200]
        assert len(acknowledged) > len(jobs) // 2
        assert load.verify(url, world, results) == []
        # Phones retry what got no answer: afterwards everyone is checked in and every voucher
        # confirmed once. A confirm whose answer was lost comes back as "already confirmed".
        unanswered = [job for job, r in zip(jobs, _in_order(jobs, results), strict=True) if r["status"] != 200]
        print(f"{len(killed)} workers killed: {len(acknowledged)} of {len(jobs)} acknowledged, "
              f"{len(unanswered)} to retry")
        retried, _ = run_apart(lambda: load.run(server.url, [(0, *job[1:]) for job in unanswered], 8))
        assert all(r["status"] == 200 or (r["kind"] == "confirm" and r["status"] == 409) for r in retried), \
            [(r["kind"], r["status"]) for r in retried if r["status"] != 200]
    finally:
        server.stop()
    _assert_everything_stored_once(url, volunteers=VOLUNTEERS, vouchers=VOUCHERS)


def _in_order(jobs, results):
    """Results in the order of their jobs (a job is identified by its path and token)."""
    by_request = {(r["path"], r["token"]): r for r in results}
    return [by_request[(job[3], job[5])] for job in jobs]


def _assert_everything_stored_once(url: str, *, volunteers: int, vouchers: int) -> None:
    os.environ["DATABASE_URL"] = url
    from volunteer_hub import create_app
    from volunteer_hub.checkin.models import Attendance
    from volunteer_hub.credits import services as credits
    from volunteer_hub.credits.models import CreditEntry
    from volunteer_hub.extensions import db
    from volunteer_hub.vouchers.models import Voucher

    with create_app({"SECRET_KEY": "bench-secret"}).app_context():
        attendances = db.session.scalar(db.select(db.func.count()).select_from(Attendance))
        confirmed = db.session.scalar(db.select(db.func.count()).where(Voucher.status == "confirmed"))
        total = db.session.scalar(db.select(db.func.coalesce(db.func.sum(CreditEntry.amount), 0)))
        assert (attendances, confirmed, total) == (volunteers, vouchers, 0)
        assert credits.ledger_problems() == []
        db.engine.dispose()


def _ask_until(url: str, token: str, enough, *, seconds: float = 60, most: int = 2000) -> list[tuple[int, dict]]:
    """Ask ``url`` again and again until ``enough(answers)``, or until the time or count bound; all answers."""
    answers, deadline = [], time.monotonic() + seconds
    while not enough(answers) and time.monotonic() < deadline and len(answers) < most:
        answers.append(_get(url, token))
        time.sleep(0.02)
    return answers


def _ok_in_a_row(n):
    return lambda answers: len(answers) >= n and all(status == 200 for status, _ in answers[-n:])


def test_a_database_restart_gives_clear_503s_then_recovers_without_restarting_the_app(cluster):
    url = cluster.create_database("restart")
    world = load.seed(url, volunteers=10, days=1, merchants=1, vouchers=1)
    token = world["checkins"][0][1]
    server = Gunicorn(url, free_port(), workers=2)
    wallet = server.url + "/api/v1/me/wallet"
    try:
        before = _ask_until(wallet, token, lambda answers: len(answers) >= 5)
        cluster.stop_server()
        try:
            # However busy the machine, the outage lasts until enough answers have been seen during it.
            during = _ask_until(wallet, token, lambda answers: len(answers) >= 10)
        finally:
            cluster.start_server()
        after = _ask_until(wallet, token, _ok_in_a_row(5))
        master_still_the_same = server.proc.poll() is None
    finally:
        server.stop()
    print(f"database restart: {len(during)} answers while down, {len(after)} asked until 5 answers in a row")
    assert [status for status, _ in before] == [200] * 5
    assert len(during) == 10, "the bound ran out before ten answers came back during the outage"
    for status, body in during:
        assert status == 503 and body["error"]["code"] == "unavailable" and body["error"]["message"], (status, body)
    # On the way back a request may still meet the outage (a clear 503), never anything else.
    assert _ok_in_a_row(5)(after), f"no recovery: {[status for status, _ in after][-10:]}"
    assert all(status == 200 or (status == 503 and body["error"]["code"] == "unavailable") for status, body in after)
    assert master_still_the_same
