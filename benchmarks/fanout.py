"""Theme publication fan-out: one centre-wide theme to N volunteers' inboxes (and the webhook queue),
timed on PostgreSQL next to a raw bulk INSERT … SELECT of as many rows as the ceiling.

    .venv/bin/python -m benchmarks.fanout [--volunteers 10000] [--budget 5]
"""
import argparse
import time
from datetime import timedelta

import sqlalchemy as sa

from benchmarks.harness import bulk_volunteers, seeded_app, start_cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--budget", type=float, default=5.0, help="seconds allowed for the whole publication")
    args = parser.parse_args()
    cluster = start_cluster()
    try:
        url = cluster.create_database("bench")
        with seeded_app(url) as (admin, centre, station):
            from volunteer_hub.core.db import utcnow
            from volunteer_hub.extensions import db
            from volunteer_hub.notifications import services as notifications
            from volunteer_hub.notifications.models import Notification, WebhookDelivery
            from volunteer_hub.themes import services as themes
            from volunteer_hub.themes.models import Theme

            bulk_volunteers(station, args.volunteers)
            # Unreachable on purpose: publication only queues deliveries; sending is another job.
            notifications.configure_webhook(admin, centre, url="https://gateway.invalid/hook")
            held_on = (utcnow() + timedelta(days=2)).date()
            theme = themes.create_theme(admin, node_id=centre.id, title="环境美化日", held_on=held_on)
            theme.publish_at = utcnow() - timedelta(seconds=1)
            db.session.commit()

            started = time.perf_counter()
            counts = themes.publish_due()
            db.session.commit()
            elapsed = time.perf_counter() - started

            inboxes = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
            deliveries = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
            again = themes.publish_due()
            db.session.commit()
            assert db.session.get(Theme, theme.id).published_at is not None

            # Ceiling: as many rows into a copy of the table (same indexes) in one plain statement.
            db.session.execute(sa.text("CREATE TABLE ceiling (LIKE notifications INCLUDING ALL)"))
            started = time.perf_counter()
            db.session.execute(sa.text(
                "INSERT INTO ceiling (id, user_id, key, kind, title, body, link, created_at) "
                "SELECT g, g, 'theme:1', 'theme', :title, '', '/themes/1', now() FROM generate_series(1, :n) g"),
                {"title": "文明提升日：环境美化日", "n": args.volunteers})
            db.session.commit()
            raw = time.perf_counter() - started
    finally:
        cluster.stop()
    print(f"publication: {counts['notified']} inbox messages, {deliveries} webhook deliveries queued, "
          f"{elapsed:.2f} s ({inboxes / elapsed:.0f} messages/s)")
    print(f"second run: {again['published']} published, {again['notified']} notified (exactly once)")
    print(f"raw INSERT … SELECT ceiling: {raw:.2f} s for {args.volunteers} rows; publication / ceiling = "
          f"{elapsed / raw:.1f}x")
    verdict = "met" if elapsed <= args.budget else "MISSED"
    print(f"budget {args.budget:.1f} s for {args.volunteers} volunteers: {verdict}")
    if inboxes != args.volunteers or again["notified"] != 0:
        raise SystemExit("each volunteer must be told exactly once")


if __name__ == "__main__":
    main()
