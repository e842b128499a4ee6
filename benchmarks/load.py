"""Saturday peak, all at once, over HTTP against gunicorn + PostgreSQL on loopback:

- volunteers check in at service days (by default 2,000 across 50 days, within 5 minutes),
- merchant staff confirm vouchers at their counters,
- managers read attendance lists and the weekly report.

Arrivals follow a fixed schedule spread over ``--duration`` seconds (an open load: a slow server
makes requests start late, and that lateness is reported). Afterwards the database is checked:
each acknowledged check-in's own attendance (by the id it answered, for the volunteer and day that
sent it) and each acknowledged confirm's own voucher (by its code, with its redemption in the ledger)
is stored, and the ledger balances.

    .venv/bin/python -m benchmarks.load [--volunteers 2000] [--days 50] [--duration 300]
"""
import argparse
import asyncio
import json
import random
import time
from collections import Counter, defaultdict
from datetime import timedelta

from benchmarks.harness import (
    Gunicorn,
    _request,
    bulk_volunteers,
    clerk,
    free_port,
    percentile,
    seeded_app,
    start_cluster,
)


def seed(database_url: str, volunteers: int, days: int, merchants: int, vouchers: int) -> dict:
    """A centre with ``days`` service days under way over several stations, ``volunteers`` signed up
    among them, ``merchants`` shops with two staff each and ``vouchers`` open vouchers; API tokens."""
    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.core.db import utcnow
    from volunteer_hub.credits import services as credits
    from volunteer_hub.events import services as events
    from volunteer_hub.events.models import ServiceDay, SignUp
    from volunteer_hub.extensions import db
    from volunteer_hub.merchants import services as shops
    from volunteer_hub.nodes import services as nodes
    from volunteer_hub.people import services as people
    from volunteer_hub.vouchers import services as voucher_service

    with seeded_app(database_url) as (admin, centre, station):
        stations = [station] + [nodes.create_node(admin, name=f"压测实践站{i}", kind="station",
                                                  parent_id=station.parent_id) for i in range(1, 10)]
        start = utcnow() - timedelta(minutes=10)
        service_days = [events.create_service_day(
            admin, node_id=stations[i % len(stations)].id, title=f"周六志愿服务日{i}", starts_at=start,
            ends_at=start + timedelta(hours=3), capacity=volunteers, lat=31.0, lon=120.0, now=start)
            for i in range(days)]
        users = bulk_volunteers(station, volunteers + vouchers)
        checkers, holders = users[:volunteers], users[volunteers:]
        for i, day in enumerate(service_days):
            mine = checkers[i::days]
            db.session.add_all(SignUp(service_day_id=day.id, user_id=u.id, status="confirmed") for u in mine)
            db.session.execute(db.update(ServiceDay).where(ServiceDay.id == day.id)
                               .values(confirmed_count=len(mine)))
        codes = {day.id: checkin.poster_token(day) for day in service_days}
        staff_tokens, voucher_jobs = [], []
        for m in range(merchants):
            owner = people.create_user(name=f"店主{m}", phone=f"1390001{m:04d}", password="Bench2026x")
            shop = shops.register_merchant(owner, centre=centre, owner=owner, name=f"压测商户{m}", address="",
                                           contact_phone=owner.phone, licence_no=f"91320509MA1LOAD{m:02d}X")
            shops.approve(admin, shop, [station.id])
            offer = shops.create_offer(owner, shop, title="理发一次", price=2, stock=vouchers)
            member = clerk(owner, shop, name=f"店员{m}", phone=f"1390002{m:04d}")
            tokens = [people.issue_token(owner)[0], people.issue_token(member)[0]]
            staff_tokens += tokens
            for j, holder in enumerate(holders[m::merchants]):
                credits.adjust(admin, holder, 2, "压测")
                voucher_jobs.append((voucher_service.create(holder, offer).code, tokens[j % 2]))
        managers = []
        for i, node in enumerate(stations[:5]):
            manager = people.create_user(name=f"站长{i}", phone=f"1390003{i:04d}", password="Bench2026x")
            people.appoint_manager(admin, node, manager)
            managers.append(people.issue_token(manager)[0])
        checkin_jobs = [(day.id, people.issue_token(u)[0], u.id) for i, day in enumerate(service_days)
                        for u in checkers[i::days]]
        admin_token = people.issue_token(admin)[0]
        db.session.commit()
        return {"codes": codes, "checkins": checkin_jobs, "vouchers": voucher_jobs, "managers": managers,
                "admin": admin_token, "centre_id": centre.id, "day_ids": [d.id for d in service_days]}


def schedule(world: dict, duration: float, reads: int, seed_value: int = 7) -> list[tuple]:
    """(start offset in s, kind, method, path, body, token), sorted by start."""
    rnd = random.Random(seed_value)
    jobs = [(rnd.uniform(0, duration), "check-in", "POST", "/api/v1/checkins",
             {"token": world["codes"][day_id], "lat": 31.0001, "lon": 120.0001}, token)
            for day_id, token, _user_id in world["checkins"]]
    jobs += [(rnd.uniform(0, duration), "confirm", "POST", f"/api/v1/redemptions/{code}/confirm", None, token)
             for code, token in world["vouchers"]]
    for i in range(reads):
        at = duration * i / max(reads, 1)
        if i % 2:  # station managers look at the centre's weekly 红黑榜
            token = world["managers"][i % len(world["managers"])]
            jobs.append((at, "report", "GET", f"/api/v1/reports/weekly?centre={world['centre_id']}", None, token))
        else:  # the centre follows the attendance of each service day
            day_id = world["day_ids"][i % len(world["day_ids"])]
            jobs.append((at, "attendance", "GET", f"/api/v1/events/{day_id}/attendance", None, world["admin"]))
    return sorted(jobs, key=lambda job: job[0])


async def run(base_url: str, jobs: list[tuple], connections: int) -> tuple[list[dict], float]:
    host, port = base_url.removeprefix("http://").split(":")
    gate = asyncio.Semaphore(connections)
    results = []
    began = time.perf_counter()

    async def one(at, kind, method, path, body, token):
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - began)))
        async with gate:
            sent = time.perf_counter()
            try:
                status, answer = await _request(host, int(port), method, path, body, token)
                answer = json.loads(answer) if status == 200 else None
            except OSError:
                status, answer = 0, None  # connection refused or reset: not acknowledged
            except ValueError:
                status, answer = 0, None  # the worker died mid-answer: the phone never got it
            results.append({"kind": kind, "status": status, "latency": time.perf_counter() - sent,
                            "late": sent - began - at, "path": path, "token": token, "answer": answer})

    await asyncio.gather(*(one(*job) for job in jobs))
    return results, time.perf_counter() - began


def verify(database_url: str, world: dict, results: list[dict]) -> list[str]:
    """What the database lacks of what the server acknowledged, request by request, and whether the
    ledger balances: each acknowledged check-in's own attendance (by the id it answered) belongs to the
    volunteer who sent it at the day they scanned; each acknowledged confirm's own voucher (by its code)
    is confirmed and its redemption is in the ledger."""
    import os

    os.environ["DATABASE_URL"] = database_url
    from volunteer_hub import create_app
    from volunteer_hub.checkin.models import Attendance
    from volunteer_hub.credits import services as credits
    from volunteer_hub.credits.models import CreditTransaction, TransactionKind
    from volunteer_hub.extensions import db
    from volunteer_hub.vouchers.models import Voucher

    sender = {token: (user_id, day_id) for day_id, token, user_id in world["checkins"]}
    problems = []
    app = create_app({"SECRET_KEY": "bench-secret"})
    with app.app_context():
        for r in results:
            if r["status"] != 200:
                continue
            if r["kind"] == "check-in":
                row = db.session.get(Attendance, r["answer"]["attendance_id"])
                if row is None or (row.user_id, row.service_day_id) != sender[r["token"]]:
                    problems.append(f"check-in {r['answer']['attendance_id']} acknowledged to user, day "
                                    f"{sender[r['token']]}: stored as {row and (row.user_id, row.service_day_id)}")
            elif r["kind"] == "confirm":
                code = r["path"].split("/")[-2]
                voucher = db.session.scalar(db.select(Voucher).where(Voucher.code == code))
                redeemed = voucher is not None and db.session.scalar(db.select(db.func.count()).where(
                    CreditTransaction.kind == TransactionKind.REDEEM,
                    CreditTransaction.key == f"redeem:voucher:{voucher.id}"))
                if voucher is None or voucher.status != "confirmed" or redeemed != 1:
                    problems.append(f"confirm of {code} acknowledged: stored as "
                                    f"{voucher and voucher.status}, {redeemed} redemptions in the ledger")
        problems += credits.ledger_problems()
        db.engine.dispose()
    return problems


def report(results: list[dict], elapsed: float) -> None:
    by_kind = defaultdict(list)
    for r in results:
        by_kind[r["kind"]].append(r)
    ok_total = sum(1 for r in results if 200 <= r["status"] < 300)
    print(f"requests: {len(results)} in {elapsed:.1f} s, {ok_total / elapsed:.1f} ok/s")
    for kind, rows in sorted(by_kind.items()):
        ok = [r for r in rows if 200 <= r["status"] < 300]
        errors = Counter(r["status"] for r in rows if not 200 <= r["status"] < 300)
        latencies = [r["latency"] for r in rows]
        print(f"  {kind:<10} {len(ok):>5} ok {sum(errors.values()):>4} errors {dict(errors)}  "
              f"p50 {percentile(latencies, 50) * 1000:6.1f} ms  p99 {percentile(latencies, 99) * 1000:6.1f} ms  "
              f"started late p99 {percentile([r['late'] for r in rows], 99) * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--merchants", type=int, default=10)
    parser.add_argument("--vouchers", type=int, default=200)
    parser.add_argument("--reads", type=int, default=300, help="manager reads (attendance lists, weekly report)")
    parser.add_argument("--duration", type=float, default=300, help="seconds over which the arrivals spread")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    cluster = start_cluster()
    try:
        url = cluster.create_database("load")
        world = seed(url, args.volunteers, args.days, args.merchants, args.vouchers)
        jobs = schedule(world, args.duration, args.reads)
        server = Gunicorn(url, free_port(), workers=args.workers)
        try:
            results, elapsed = asyncio.run(run(server.url, jobs, args.connections))
        finally:
            server.stop()
        print(f"gunicorn {args.workers} workers x 4 threads, PostgreSQL on loopback, {args.connections} connections")
        report(results, elapsed)
        problems = verify(url, world, results)
    finally:
        cluster.stop()
    print("verified: every acknowledged request is stored, the ledger balances" if not problems
          else f"PROBLEMS ({len(problems)}): " + "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else ""))
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
