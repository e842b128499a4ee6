from datetime import timedelta

from tests.test_concurrency import PARALLEL, in_parallel
from volunteer_hub.checkin import services as checkin
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people
from volunteer_hub.reports import services as reports


def test_wallet_after_approval(world, saturday, api):
    checkin.manual_entry(world.s1_manager, saturday, phone=world.volunteer.phone, checked_in_at=saturday.starts_at,
                         checked_out_at=saturday.starts_at + timedelta(minutes=90), reason="补录")
    db.session.commit()
    assert api(world.volunteer).get("/api/v1/me/wallet").json == {"balance": 0, "held": 0, "available": 0,
                                                                  "entries": []}
    api(world.s1_manager).post(f"/api/v1/events/{saturday.id}/attendance/approve", json={"ids": "all"})
    wallet = api(world.volunteer).get("/api/v1/me/wallet").json
    assert (wallet["balance"], wallet["held"], wallet["available"]) == (1.5, 0, 1.5)
    assert [(e["credits"], e["kind"], e["memo"]) for e in wallet["entries"]] == [(1.5, "mint", "周六环境美化日")]


def test_adjustments_over_the_api(world, api):
    manager = api(world.s1_manager)
    body = {"user_id": world.volunteer.id, "credits": 2.5, "reason": "表彰"}
    made = manager.post("/api/v1/credits/adjustments", json=body)
    assert made.status_code == 201 and made.json["kind"] == "grant" and made.json["balance"] == 2.5
    assert api(world.s2_manager).post("/api/v1/credits/adjustments", json=body).status_code == 403
    assert api(world.volunteer).post("/api/v1/credits/adjustments", json=body).status_code == 403
    too_much = manager.post("/api/v1/credits/adjustments", json={**body, "credits": -3})
    assert too_much.status_code == 409 and too_much.json["error"]["code"] == "insufficient_credits"
    halves = manager.post("/api/v1/credits/adjustments", json={**body, "credits": 0.3})
    assert halves.status_code == 422 and "credits" in halves.json["error"]["fields"]
    assert api(world.volunteer).get("/api/v1/me/wallet").json["balance"] == 2.5


def test_parallel_claw_backs_never_go_below_zero(app, world):
    credits.adjust(world.s1_manager, world.volunteer, 3, "初始")
    token = people.issue_token(world.s1_manager)[0]
    db.session.commit()
    body = {"user_id": world.volunteer.id, "credits": -1, "reason": "并发扣回"}
    statuses = in_parallel(app, lambda c: c.post("/api/v1/credits/adjustments", json=body,
                                                 headers={"Authorization": f"Bearer {token}"}))
    assert statuses == [201] * 3 + [409] * (PARALLEL - 3)
    db.session.expire_all()
    assert credits.wallet_summary(world.volunteer)["balance"] == 0 and credits.ledger_problems() == []


def test_parallel_requests_with_one_idempotency_key_post_once(app, world):
    token = people.issue_token(world.s1_manager)[0]
    db.session.commit()
    body = {"user_id": world.volunteer.id, "credits": 1, "reason": "重试"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "abc-123"}
    statuses = in_parallel(app, lambda c: c.post("/api/v1/credits/adjustments", json=body, headers=headers))
    assert set(statuses) == {201}
    db.session.expire_all()
    assert credits.wallet_summary(world.volunteer)["balance"] == 1 and credits.ledger_problems() == []


def test_wallet_on_my_hours_page(world, client):
    from tests.test_pages import login, text

    credits.adjust(world.s1_manager, world.volunteer, 4, "表彰")
    db.session.commit()
    login(client, world.volunteer)
    page = text(client.get("/me/hours"))
    assert ">4<" in page and "4.0" not in page and "+4" in page and "表彰" in page  # whole credits, no ".0"


def test_centre_report_and_chart(world, saturday, client):
    from tests.test_pages import login, text

    checkin.manual_entry(world.s1_manager, saturday, phone=world.volunteer.phone, checked_in_at=saturday.starts_at,
                         checked_out_at=saturday.ends_at, reason="补录")
    checkin.approve(world.s1_manager, saturday, "all")
    db.session.commit()
    report = reports.centre_credits(world.centre, months=3)
    assert len(report["labels"]) == 3 and report["series"]["minted"][-1] == 3.0
    assert report["outstanding"] == 3.0
    assert {"name": world.s1.name, "outstanding": 3.0, "wallets": 1, "minted": 3.0} in report["stations"]
    login(client, world.s1_manager)
    assert client.get(f"/centres/{world.centre.id}/credits").status_code == 403
    client.post("/logout")
    login(client, world.centre_admin)
    page = text(client.get(f"/centres/{world.centre.id}/credits"))
    assert "data-chart" in page and 'role="img"' in page and world.s1.name in page
