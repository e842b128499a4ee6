"""Where a check-in's and a redemption's CPU goes: the real app in-process on a durable PostgreSQL, driven
through its WSGI interface (no HTTP server, so only the app's own work is counted), under cProfile.
Prints CPU per request and each library's share of it, then the heaviest functions.

    .venv/bin/python -m benchmarks.profile [--requests 1000] [--top 25]
"""
import argparse
import cProfile
import pstats
import re
import time
from collections import defaultdict

from flask import current_app

from benchmarks.checkin import checkin_jobs, seed_day
from benchmarks.harness import seeded_app, start_cluster
from benchmarks.redeem import confirm_jobs, seed_vouchers

LIBRARIES = ("flask_smorest", "flask_limiter", "flask_login", "flask_babel", "flask_sqlalchemy", "flask", "werkzeug",
             "sqlalchemy", "psycopg", "marshmallow", "webargs", "itsdangerous", "jinja2", "babel", "limits", "redis",
             "volunteer_hub", "json", "logging")


def library(filename: str) -> str:
    for name in LIBRARIES:
        if re.search(rf"[/\\]{name}[/\\]", filename) or filename.endswith(f"/{name}.py"):
            return name
    return "python" if filename.startswith("~") or "/lib/python3" in filename else "other"


def drive(app, jobs) -> list[int]:
    client = app.test_client()
    statuses = []
    for method, path, body, token in jobs:
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)
    return statuses


def profiled(name: str, app, jobs, top: int) -> None:
    drive(app, jobs[:20])  # warm: imports, compiled statements, pool
    half = (len(jobs) - 20) // 2
    plain, jobs = jobs[20:20 + half], jobs[20 + half:]
    started = time.process_time()
    drive(app, plain)
    cpu = (time.process_time() - started) / len(plain) * 1000
    profile = cProfile.Profile(time.process_time)  # CPU, not time spent waiting for the database
    profile.enable()
    statuses = drive(app, jobs)
    profile.disable()
    stats = pstats.Stats(profile)
    own = defaultdict(float)
    for (filename, _line, _function), (_cc, _nc, tottime, _cum, _callers) in stats.stats.items():
        own[library(filename)] += tottime
    total = sum(own.values())
    print(f"\n{name}: {len(jobs)} requests {dict((s, statuses.count(s)) for s in set(statuses))}, "
          f"{cpu:.2f} ms CPU a request without the profiler")
    shares = sorted(own.items(), key=lambda item: -item[1])
    print("  own time by library: " + ", ".join(f"{lib} {t / total:.0%}" for lib, t in shares if t / total >= 0.01))
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    cluster = start_cluster()
    try:
        url = cluster.create_database("bench")
        with seeded_app(url) as (admin, centre, station):
            tokens, code, _day = seed_day(admin, station, args.requests + 20)
            codes, staff = seed_vouchers(admin, centre, station, args.requests // 2 + 10, first=args.requests + 20)
            app = current_app._get_current_object()
        app.config["RATELIMIT_VOUCHER_CODE"] = "100000/minute"  # four staff accounts confirm them all
        profiled("check-in", app, checkin_jobs(tokens, code), args.top)
        profiled("redemption", app, confirm_jobs(codes, staff), args.top)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
