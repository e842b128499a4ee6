"""Races: parallel requests that must leave exactly one row, on SQLite and PostgreSQL."""
import sqlalchemy as sa

from tests.parallel import race, values
from volunteer_hub.credits import services as credits
from volunteer_hub.credits.models import CreditTransaction
from volunteer_hub.extensions import db
from volunteer_hub.people.models import Grant, User
from volunteer_hub.teams.models import TeamMembership

PARALLEL = 12


def in_parallel(app, request):
    """Run ``request(client)`` from PARALLEL threads released at the same moment; return the statuses.

    ``request`` must not touch ORM objects of the test's session: each thread has its own context.
    A thread that raises fails the test (tests/parallel.py); a 5xx is a status the caller's assertion sees.
    """
    return sorted(values(race(PARALLEL, lambda _i: request(app.test_client()).status_code)))


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_parallel_registrations_with_one_phone_make_one_user(app, world, phone_code):
    body = {"name": "抢注", "phone": "13512345678", "code": phone_code("13512345678"), "password": "Passw0rd!",
            "home_station_id": world.s1.id}
    statuses = in_parallel(app, lambda c: c.post("/api/v1/volunteers", json=body))
    assert statuses == [201] + [409] * (PARALLEL - 1)
    assert count(User, User.phone == "13512345678") == 1


def test_parallel_join_requests_make_one_membership(app, world, api):
    url, body = f"/api/v1/teams/{world.team.id}/members", {"user_id": world.volunteer.id}
    headers = {"Authorization": f"Bearer {api(world.volunteer).token}"}
    statuses = in_parallel(app, lambda c: c.post(url, json=body, headers=headers))
    assert statuses == [201] + [409] * (PARALLEL - 1)
    assert count(TeamMembership, TeamMembership.user_id == world.volunteer.id) == 1


def test_parallel_appointments_make_one_grant(app, world, api):
    url, body = f"/api/v1/nodes/{world.s2.id}/managers", {"user_id": world.volunteer.id}
    headers = {"Authorization": f"Bearer {api(world.i1_manager).token}"}
    statuses = in_parallel(app, lambda c: c.post(url, json=body, headers=headers))
    assert statuses == [201] + [409] * (PARALLEL - 1)
    assert count(Grant, Grant.user_id == world.volunteer.id) == 1


def test_parallel_second_approvals_of_one_grant_post_it_once(app, world, api):
    held = credits.adjust(world.i1_manager, world.volunteer, 80, "年度表彰")  # above 50 a day: waits
    db.session.commit()
    url = f"/api/v1/credits/grant-requests/{held.id}/approve"
    headers = {"Authorization": f"Bearer {api(world.s1_manager).token}"}
    statuses = in_parallel(app, lambda c: c.post(url, json={}, headers=headers))
    assert statuses == [200] + [409] * (PARALLEL - 1)
    assert count(CreditTransaction, CreditTransaction.key == f"grant:request:{held.id}") == 1
    assert str(credits.wallet_summary(world.volunteer)["balance"]) == "80" and credits.ledger_problems() == []
