import sqlalchemy as sa

from volunteer_hub.checkin.models import Attendance
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import Merchant
from volunteer_hub.nodes.models import Node
from volunteer_hub.people.models import User, VolunteerProfile
from volunteer_hub.teams.models import Team


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "create-admin", "--name", "管理员", "--phone", "13911112222",
                                 "--password", "Adm1nPass"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.phone == "13911112222"))
    assert [(g.role, g.node_id) for g in user.grants] == [("admin", None)]
    again = runner.invoke(args=["hub", "create-admin", "--name", "管理员", "--phone", "13911112222",
                                "--password", "Adm1nPass"])
    assert again.exit_code != 0 and "已是管理员" in again.output
    weak = runner.invoke(args=["hub", "create-admin", "--name", "x", "--phone", "13911113333", "--password", "weak"])
    assert weak.exit_code != 0 and "password:" in weak.output and "密码" in weak.output


def test_demo_is_complete_and_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["hub", "demo"])
    assert first.exit_code == 0, first.output
    assert "13900000002" in first.output
    counts = {kind: count(Node, Node.kind == kind) for kind in ("centre", "institute", "station")}
    assert counts == {"centre": 1, "institute": 2, "station": 4}
    assert (count(Team), count(VolunteerProfile), count(Merchant, Merchant.status == "approved")) == (3, 30, 2)
    from volunteer_hub.credits.services import ledger_problems

    assert count(Attendance, Attendance.approved_at.is_not(None)) == 8 and ledger_problems() == []
    second = runner.invoke(args=["hub", "demo"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    assert count(VolunteerProfile) == 30


def test_close_checkins_command(app, world):
    from datetime import timedelta

    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.checkin.models import Attendance
    from volunteer_hub.core.db import utcnow
    from volunteer_hub.events import services as events

    start = utcnow() - timedelta(hours=5)
    day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="昨日", starts_at=start,
                                    ends_at=start + timedelta(hours=2), capacity=5, now=start)
    checkin.manual_entry(world.s1_manager, day, phone=world.volunteer.phone, checked_in_at=start, reason="补录")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["hub", "run-jobs", "--job", "close-checkins"])
    assert result.exit_code == 0 and "close-checkins         ok     1 changed" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(Attendance.status)) == "no_checkout"


def test_serve_runs_the_web_server_and_the_scheduler_and_one_interrupt_stops_both(sqlite_template, tmp_path):
    """``make run`` is ``hub serve``: both processes up, both gone after one SIGINT to the group."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.conftest import sqlite_copy

    url = sqlite_copy(sqlite_template, tmp_path / "served.sqlite3")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "serve-test-" + "k" * 32,
           "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    root = Path(__file__).resolve().parent.parent
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "hub", "serve", "--port", str(port)],
                               cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
                log.seek(0)
                if "scheduler running" in log.read():
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, open(log.name).read()[-2000:]
            time.sleep(0.5)
        children = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2  # the web server and the scheduler, one process group
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert process.wait(timeout=60) == 0
        time.sleep(0.5)
        assert subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).returncode == 1
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_the_demo_publishes_this_weeks_theme_at_once(app):
    from volunteer_hub.themes.models import Theme

    assert app.test_cli_runner().invoke(args=["hub", "demo"]).exit_code == 0
    assert count(Theme, Theme.published_at.is_not(None)) >= 1
