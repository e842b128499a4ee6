"""Saturday-morning check-in load for benchmarks.floor: one service day under way, volunteers signed up
with API tokens, and the requests that check each of them in once.
"""
from datetime import timedelta

from benchmarks.harness import bulk_volunteers, seeded_app


def seed_day(admin, station, volunteers: int, first: int = 0) -> tuple[list[str], str, int]:
    """One service day under way now at ``station``, ``volunteers`` signed up with API tokens (numbered
    from ``first``); returns their tokens, a poster code and the day's id."""
    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.core.db import utcnow
    from volunteer_hub.events import services as events
    from volunteer_hub.events.models import ServiceDay, SignUp
    from volunteer_hub.extensions import db
    from volunteer_hub.people import services as people

    start = utcnow() - timedelta(minutes=10)
    day = events.create_service_day(admin, node_id=station.id, title="周六志愿服务日", starts_at=start,
                                    ends_at=start + timedelta(hours=3), capacity=volunteers, lat=31.0,
                                    lon=120.0, now=start)
    users = bulk_volunteers(station, volunteers, first)
    db.session.add_all(SignUp(service_day_id=day.id, user_id=u.id, status="confirmed") for u in users)
    db.session.execute(db.update(ServiceDay).where(ServiceDay.id == day.id).values(confirmed_count=volunteers))
    tokens = [people.issue_token(u)[0] for u in users]
    db.session.commit()
    # A poster code keeps its validity for the whole run (a rotating one would expire mid-run).
    return tokens, checkin.poster_token(day), day.id


def checkin_jobs(tokens: list[str], code: str) -> list[tuple]:
    body = {"token": code, "lat": 31.0001, "lon": 120.0001}
    return [("POST", "/api/v1/checkins", body, token) for token in tokens]


def seed(database_url: str, volunteers: int) -> tuple[list[str], str, int]:
    with seeded_app(database_url) as (admin, _centre, station):
        return seed_day(admin, station, volunteers)
