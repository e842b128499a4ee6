"""Running jobs: once now (``hub run-jobs``) or on schedule in their own process (``hub scheduler``).

APScheduler keeps its jobs and their next run times in the database (SQLAlchemyJobStore), so a
restarted scheduler knows what it missed: runs within ``SCHEDULER_GRACE_MINUTES`` are caught up
once (coalesced), older ones are logged and recorded as missed. Only this process schedules, so
gunicorn's workers never run a job; and the jobs are idempotent in the database besides.
"""
import logging
import signal
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from volunteer_hub.core.db import utcnow
from volunteer_hub.extensions import db
from volunteer_hub.scheduler.jobs import BY_ID, JOBS, Job
from volunteer_hub.scheduler.models import JobRun

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
_app: Flask | None = None  # the scheduler process's app, for APScheduler's module-level callable


def _summary(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{key}={value}" for key, value in result.items())
    return f"{result} changed"


def run_job(job: Job, now: datetime | None = None) -> JobRun:
    """Run one job in its own transaction and log the run; an error rolls the job back, not the log."""
    now = now or utcnow()
    started = utcnow()
    try:
        result = job.function()(now=now)
        db.session.commit()
        status, summary = "ok", _summary(result)
    except Exception as exc:  # a failing job must not stop the others
        db.session.rollback()
        log.exception("job %s failed", job.id)
        status, summary = "error", f"{type(exc).__name__}: {exc}"
    run = JobRun(job_id=job.id, status=status, scheduled_for=now, started_at=started, finished_at=utcnow(),
                 summary=summary[:500])
    db.session.add(run)
    db.session.commit()
    return run


def run_all(now: datetime | None = None) -> list[JobRun]:
    """``hub run-jobs``: every job once, each doing what is due at ``now``."""
    return [run_job(job, now) for job in JOBS]


def latest_runs() -> dict[str, JobRun]:
    newest = sa.select(sa.func.max(JobRun.id)).group_by(JobRun.job_id)
    return {run.job_id: run for run in db.session.scalars(sa.select(JobRun).where(JobRun.id.in_(newest)))}


def recent_problems(limit: int = 20) -> list[JobRun]:
    return db.session.scalars(sa.select(JobRun).where(JobRun.status != "ok")
                              .order_by(JobRun.id.desc()).limit(limit)).all()


SILENCE = timedelta(minutes=5)  # publish-themes runs every minute: five without any run is a stopped scheduler


def last_activity() -> datetime | None:
    """When a job last ran (on schedule or by ``hub run-jobs``)."""
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(JobRun.finished_at, JobRun.started_at))))


def is_silent(now: datetime | None = None) -> bool:
    """No job has run for five minutes: the scheduler process is not running (or stuck)."""
    last = last_activity()
    return last is None or (now or utcnow()) - last > SILENCE


def job_rows() -> list[dict]:
    latest = latest_runs()
    return [{"id": job.id, "description": job.description, "schedule": job.cron,
             "last_status": getattr(latest.get(job.id), "status", None),
             "last_run_at": getattr(latest.get(job.id), "started_at", None),
             "last_summary": getattr(latest.get(job.id), "summary", None)} for job in JOBS]


# --- the scheduler process ------------------------------------------------------------------------

def execute(job_id: str) -> None:
    """What APScheduler calls (a module-level function, so its job store can name it)."""
    with _app.app_context():
        run_job(BY_ID[job_id])


def _record_missed(event) -> None:
    with _app.app_context():
        log.warning("job %s missed its run at %s (scheduler down longer than the grace)", event.job_id,
                    event.scheduled_run_time)
        db.session.add(JobRun(job_id=event.job_id, status="missed", scheduled_for=event.scheduled_run_time,
                              summary="missed: the scheduler was not running within the grace period"))
        db.session.commit()


def _grace_seconds(app: Flask) -> int:
    return app.config["SCHEDULER_GRACE_MINUTES"] * 60


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler whose jobs live in ``apscheduler_jobs`` beside our tables, one job at a time."""
    global _app
    _app = app
    with app.app_context():
        engine = db.engine
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": _grace_seconds(app)},
        timezone=app.config["TIMEZONE"])
    scheduler.add_listener(_record_missed, EVENT_JOB_MISSED)
    return scheduler


def sync_jobs(scheduler: BackgroundScheduler, grace: int) -> None:
    """Make the stored jobs match JOBS without losing their next run times (that is what catch-up reads);
    ``grace`` (seconds) replaces the one stored with each job, which may come from an older setting."""
    for job in JOBS:
        trigger = CronTrigger(timezone=scheduler.timezone, **job.cron)
        stored = scheduler.get_job(job.id)
        if stored is None:
            scheduler.add_job(execute, trigger, args=[job.id], id=job.id, name=job.id)
        elif str(stored.trigger) != str(trigger):
            scheduler.reschedule_job(job.id, trigger=trigger)
        else:
            scheduler.modify_job(job.id, misfire_grace_time=grace, name=job.id)
    for stored in scheduler.get_jobs():
        if stored.id not in BY_ID:
            scheduler.remove_job(stored.id)


def start(app: Flask) -> BackgroundScheduler:
    """Start paused, sync the job list, then resume: due and missed runs are handled on the first wakeup."""
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    sync_jobs(scheduler, _grace_seconds(app))
    scheduler.resume()
    for job in scheduler.get_jobs():
        log.info("job %-22s next run %s", job.id, job.next_run_time)
    return scheduler


def serve(app: Flask) -> None:
    """``hub scheduler``: run until SIGINT or SIGTERM, then finish the running job and stop."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_args: stop.set())
    scheduler = start(app)
    log.info("scheduler running; stop with Ctrl-C")
    stop.wait()
    scheduler.shutdown(wait=True)
