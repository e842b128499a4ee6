"""Saturday-morning check-in benchmark: many volunteers, one service day, concurrent clients, over HTTP
against gunicorn + PostgreSQL; pgbench's single-row INSERT rate on the same cluster is the ceiling.

    .venv/bin/python benchmarks/checkin.py [--volunteers 2000] [--clients 32]

Target (issue 3): at least 40 % of the ceiling and p99 under 100 ms at 32 clients.
"""
import argparse
import asyncio
import socket
from collections import Counter
from datetime import timedelta

from benchmarks.harness import (
    Gunicorn,
    bulk_volunteers,
    percentile,
    pgbench_insert_tps,
    run_load,
    seeded_app,
    start_cluster,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(database_url: str, volunteers: int) -> tuple[list[str], str, int]:
    """One service day under way now, ``volunteers`` signed up with API tokens; returns a poster code."""
    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.core.db import utcnow
    from volunteer_hub.events import services as events
    from volunteer_hub.events.models import ServiceDay, SignUp
    from volunteer_hub.extensions import db
    from volunteer_hub.people import services as people

    with seeded_app(database_url) as (admin, _centre, station):
        start = utcnow() - timedelta(minutes=10)
        day = events.create_service_day(admin, node_id=station.id, title="周六志愿服务日", starts_at=start,
                                        ends_at=start + timedelta(hours=3), capacity=volunteers, lat=31.0,
                                        lon=120.0, now=start)
        users = bulk_volunteers(station, volunteers)
        db.session.add_all(SignUp(service_day_id=day.id, user_id=u.id, status="confirmed") for u in users)
        db.session.execute(db.update(ServiceDay).where(ServiceDay.id == day.id).values(confirmed_count=volunteers))
        tokens = [people.issue_token(u)[0] for u in users]
        db.session.commit()
        # A poster code keeps its validity for the whole run (a rotating one would expire mid-run).
        return tokens, checkin.poster_token(day), day.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one per core is best here)")
    args = parser.parse_args()

    cluster = start_cluster()
    try:
        url = cluster.create_database("bench")
        tokens, code, day_id = seed(url, args.volunteers)
        ceiling = pgbench_insert_tps(cluster, "bench", args.clients)
        server = Gunicorn(url, free_port(), workers=args.workers)
        try:
            body = {"token": code, "lat": 31.0001, "lon": 120.0001}
            jobs = [("POST", "/api/v1/checkins", body, token) for token in tokens]
            latencies, statuses, elapsed = asyncio.run(run_load(server.url, jobs, args.clients))
        finally:
            server.stop()
    finally:
        cluster.stop()

    ok = statuses.count(200)
    rate = ok / elapsed
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(f"check-ins: {ok} ok, {len(statuses) - ok} errors {dict(Counter(s for s in statuses if s != 200))}")
    print(f"clients {args.clients}, gunicorn {args.workers} workers x 4 threads, {elapsed:.1f} s")
    print(f"check-ins per second: {rate:.0f}")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"pgbench single-row INSERT ceiling: {ceiling:.0f} tps -> ratio {rate / ceiling:.1%}"
          f" (target >= 40%, p99 < 100 ms)")


if __name__ == "__main__":
    main()
