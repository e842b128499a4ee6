"""The scheduler: run-jobs, two schedulers at once, and catch-up after downtime with a controlled clock."""
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day

import pytest
import sqlalchemy as sa
import time_machine

from tests.parallel import race, values
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.events import services as events
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.extensions import db
from volunteer_hub.notifications.models import Notification
from volunteer_hub.reports.models import WeeklyReport
from volunteer_hub.scheduler import services
from volunteer_hub.scheduler.jobs import JOBS
from volunteer_hub.scheduler.models import JobRun
from volunteer_hub.themes import services as themes

FRIDAY_0900 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Asia/Shanghai


def test_run_jobs_runs_each_job_once_and_logs_it(app, world):
    result = app.test_cli_runner().invoke(args=["hub", "run-jobs"])
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.output.splitlines()] == [[job.id, "ok"] for job in JOBS]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == len(JOBS)
    unknown = app.test_cli_runner().invoke(args=["hub", "run-jobs", "--job", "nope"])
    assert unknown.exit_code == 2 and "publish-themes" in unknown.output


def test_a_failing_job_is_logged_and_the_others_still_run(app, world, monkeypatch):
    from volunteer_hub.vouchers import services as vouchers

    def broken(now=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(vouchers, "expire_due", broken)
    runs = services.run_all()
    assert {run.job_id: run.status for run in runs}["expire-vouchers"] == "error"
    assert sum(run.status == "ok" for run in runs) == len(JOBS) - 1
    assert "disk full" in services.recent_problems()[0].summary


# The centre is founded a week before the Monday the scenarios start on, so that week is reported.
FOUNDED = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


@pytest.mark.clock(FOUNDED)
@pytest.mark.app_config(TIMEZONE="Asia/Shanghai")
def test_two_schedulers_at_once_publish_generate_and_report_once(app, world, clock):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite allows one writer; a deployment with several schedulers runs on PostgreSQL")
    clock.move_to(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    themes.create_theme(world.centre_admin, node_id=world.centre.id, title="环境美化日", held_on=date(2026, 11, 28))
    events.create_template(world.s1_manager, node_id=world.s1.id, title="周六志愿服务", weekday=5,
                           start_time=time_of_day(8, 30), end_time=time_of_day(11, 30), capacity=20, days_ahead=14)
    db.session.commit()

    def scheduler(_i):
        with app.app_context():
            return services.run_all(FRIDAY_0900)

    # Each run's jobs catch their own errors into JobRun rows (asserted below); a thread that raised fails here.
    values(race(4, scheduler))
    db.session.expire_all()

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    assert count(AuditEntry, AuditEntry.action == "theme.publish") == 1
    assert count(Notification, Notification.kind == "theme") == 3  # three volunteers, each once
    assert count(ServiceDay) == 2  # the Saturdays 28 November and 5 December, once each
    assert count(ServiceDay, ServiceDay.theme_id.is_not(None)) == 1  # the first is linked to its week's theme
    assert count(WeeklyReport) >= 1
    assert count(WeeklyReport) == count(sa.select(WeeklyReport.centre_id, WeeklyReport.week_start).distinct()
                                        .subquery())
    assert count(JobRun, JobRun.status == "error") == 0


def _wait_for(condition, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if condition():
            return True
        time.sleep(0.1)
    return False


def _runs(job_id, status):
    return db.session.scalars(sa.select(JobRun).where(JobRun.job_id == job_id, JobRun.status == status)).all()


@pytest.mark.clock(FOUNDED)
@pytest.mark.app_config(TIMEZONE="Asia/Shanghai")
def test_restarted_scheduler_catches_up_within_the_grace_and_reports_older_misses(app, world):
    app.config["SCHEDULER_GRACE_MINUTES"] = 60
    monday_0600 = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # Monday 06:00 in Asia/Shanghai
    try:
        # First start on Sunday evening: the jobs and their next run times go into the job store.
        with time_machine.travel(monday_0600 - timedelta(hours=1), tick=True):
            scheduler = services.start(app)
            assert scheduler.get_job("weekly-report").next_run_time == monday_0600
            scheduler.shutdown()
        # Down over 06:00; back at 06:30, within the grace: the weekly report runs once, on start.
        with time_machine.travel(monday_0600 + timedelta(minutes=30), tick=True):
            scheduler = services.start(app)
            assert _wait_for(lambda: _runs("weekly-report", "ok")), "the missed run was not caught up"
            scheduler.shutdown()
        assert len(_runs("weekly-report", "ok")) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WeeklyReport)) >= 1
        # Down over the next Monday's 06:00 for three hours, beyond the grace: reported, not run.
        with time_machine.travel(monday_0600 + timedelta(weeks=1, hours=3), tick=True):
            scheduler = services.start(app)
            assert _wait_for(lambda: _runs("weekly-report", "missed")), "the missed run was not reported"
            scheduler.shutdown()
        [missed] = _runs("weekly-report", "missed")
        assert missed.scheduled_for == monday_0600 + timedelta(weeks=1)
        assert len(_runs("weekly-report", "ok")) == 1
    finally:
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {services.JOBSTORE_TABLE}"))


def test_jobs_page_and_api_are_for_system_admins(app, world, api, client):
    services.run_all()
    listed = api(world.admin).get("/api/v1/jobs")
    assert listed.status_code == 200 and {j["id"] for j in listed.json} == {job.id for job in JOBS}
    assert all(j["last_status"] == "ok" for j in listed.json)
    assert api(world.centre_admin).get("/api/v1/jobs").status_code == 403
    client.post("/login", data={"phone": world.admin.phone, "password": world.PASSWORD})
    page = client.get("/admin/jobs").text
    assert "publish-themes" in page and "调度进程没有运行" not in page
    assert services.is_silent(now=services.last_activity() + timedelta(minutes=6))


def test_the_jobs_page_warns_when_no_scheduler_runs(app, world, client):
    assert services.is_silent()
    client.post("/login", data={"phone": world.admin.phone, "password": world.PASSWORD})
    assert "调度进程没有运行" in client.get("/admin/jobs").text
