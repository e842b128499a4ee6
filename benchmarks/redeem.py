"""Redemption benchmark: merchant counters confirming vouchers of one offer at once (contention on the
offer's stock and the merchant's account), every code sent twice, over HTTP against gunicorn + PostgreSQL.

    .venv/bin/python -m benchmarks.redeem [--vouchers 1000] [--clients 32]
"""
import argparse
import asyncio
import random
from collections import Counter

from benchmarks.checkin import free_port
from benchmarks.harness import (
    Gunicorn,
    bulk_volunteers,
    clerk,
    percentile,
    pgbench_insert_tps,
    run_load,
    seeded_app,
    start_cluster,
)


def seed(database_url: str, vouchers: int) -> tuple[list[str], list[str]]:
    """One merchant with one offer, ``vouchers`` volunteers each holding an open voucher; staff tokens."""
    from volunteer_hub.credits import services as credits
    from volunteer_hub.extensions import db
    from volunteer_hub.merchants import services as merchants
    from volunteer_hub.people import services as people
    from volunteer_hub.vouchers import services as vouchers_service

    with seeded_app(database_url) as (admin, centre, station):
        owner = people.create_user(name="店主", phone="13900000001", password="Bench2026x")
        shop = merchants.register_merchant(owner, centre=centre, owner=owner, name="压测商户", address="",
                                           contact_phone="13900000001", licence_no="91320509MA1BENCH0X")
        merchants.approve(admin, shop, [station.id])
        offer = merchants.create_offer(owner, shop, title="理发一次", price=5, stock=vouchers)
        staff = [owner] + [clerk(owner, shop, name=f"店员{i}", phone=f"1390000010{i}") for i in range(3)]
        codes = []
        for user in bulk_volunteers(station, vouchers):
            credits.adjust(admin, user, 5, "压测")
            codes.append(vouchers_service.create(user, offer).code)
        tokens = [people.issue_token(s)[0] for s in staff]
        db.session.commit()
        return codes, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vouchers", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cluster = start_cluster()
    try:
        url = cluster.create_database("bench")
        codes, tokens = seed(url, args.vouchers)
        ceiling = pgbench_insert_tps(cluster, "bench", args.clients)
        requests = [("POST", f"/api/v1/redemptions/{code}/confirm", None, random.choice(tokens))
                    for code in codes * 2]  # every code twice: the second must be refused
        random.Random(7).shuffle(requests)
        # A handful of staff accounts confirm thousands of codes: far past a real counter's rate limit,
        # which this benchmark is not about.
        server = Gunicorn(url, free_port(), workers=args.workers, env={"RATELIMIT_ENABLED": "false"})
        try:
            latencies, statuses, elapsed = asyncio.run(run_load(server.url, requests, args.clients))
        finally:
            server.stop()
    finally:
        cluster.stop()
    counts = Counter(statuses)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(f"confirms: {counts[200]} redeemed, {counts[409]} refused as already redeemed, "
          f"{len(statuses) - counts[200] - counts[409]} other {dict(counts)}")
    print(f"clients {args.clients}, gunicorn {args.workers} workers x 4 threads, {elapsed:.1f} s")
    print(f"redemptions per second: {counts[200] / elapsed:.0f} (requests per second {len(statuses) / elapsed:.0f})")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"pgbench single-row INSERT ceiling: {ceiling:.0f} tps")
    if counts[200] != args.vouchers:
        raise SystemExit(f"expected exactly {args.vouchers} redemptions")


if __name__ == "__main__":
    main()
