import io
from datetime import timedelta

import zxingcpp
from PIL import Image

from volunteer_hub.checkin import services
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db

HERE = {"lat": 31.0005, "lon": 120.0}


def decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def test_create_list_and_sign_up_over_the_api(world, api):
    manager = api(world.s1_manager)
    start = (events.utcnow() + timedelta(days=2)).replace(microsecond=0)
    body = {"node_id": world.s1.id, "title": "敬老院探访", "team_ids": [world.team.id], "capacity": 1,
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            "lat": 31.0, "lon": 120.0}
    created = manager.post("/api/v1/events", json=body)
    assert created.status_code == 201, created.json
    day = created.json
    assert day["checkin_radius_m"] == 300 and day["team_ids"] == [world.team.id] and day["confirmed_count"] == 0
    naive = manager.post("/api/v1/events", json={**body, "starts_at": "2030-01-01T08:00:00"})
    assert naive.status_code == 422 and "starts_at" in naive.json["error"]["fields"]
    assert api(world.s2_manager).post("/api/v1/events", json=body).status_code == 403
    listed = api(world.volunteer).get("/api/v1/events")
    assert [d["title"] for d in listed.json] == ["敬老院探访"]
    assert api(world.s2_volunteer).get("/api/v1/events").json == []  # another station's volunteer
    assert api(world.s2_volunteer).get(f"/api/v1/events?station={world.s1.id}").json[0]["id"] == day["id"]
    later = (start + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert api(world.volunteer).get(f"/api/v1/events?from={later}").json == []
    first = api(world.volunteer).post(f"/api/v1/events/{day['id']}/signups")
    assert first.status_code == 201 and first.json["status"] == "confirmed"
    second = api(world.leader).post(f"/api/v1/events/{day['id']}/signups")
    assert second.json == {"service_day_id": day["id"], "user_id": world.leader.id, "status": "waitlisted",
                           "waitlist_position": 1}
    cancelled = api(world.volunteer).delete(f"/api/v1/events/{day['id']}/signups/me")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert api(world.leader).get(f"/api/v1/events/{day['id']}").json["confirmed_count"] == 1
    assert api(world.volunteer).delete(f"/api/v1/events/{day['id']}/signups/me").status_code == 404


def test_checkin_code_qr_images_and_scan(saturday, world, api, app):
    events.sign_up(world.volunteer, saturday)
    db.session.commit()
    assert api(world.volunteer).get(f"/api/v1/events/{saturday.id}/checkin-code").status_code == 403
    code = api(world.leader).get(f"/api/v1/events/{saturday.id}/checkin-code")
    assert code.status_code == 200 and code.json["url"].endswith("/c/" + code.json["token"])
    qr = api(world.leader).get(f"/api/v1/events/{saturday.id}/qr.png")
    assert qr.mimetype == "image/png" and "/c/" in decode(qr.data)
    assert b"<svg" in api(world.leader).get(f"/api/v1/events/{saturday.id}/qr.svg").data
    poster = api(world.s1_manager).get(f"/api/v1/events/{saturday.id}/poster.png")
    image = Image.open(io.BytesIO(poster.data))
    assert image.size == (1240, 1754)  # A4 at 150 dpi
    poster_url = decode(poster.data)
    assert "/c/" in poster_url and poster_url.endswith(services.poster_token(saturday))
    assert b'width="210mm"' in api(world.s1_manager).get(f"/api/v1/events/{saturday.id}/poster.svg").data
    volunteer = api(world.volunteer)
    # Before the window the rotating code is refused; the scan names the reason.
    early = volunteer.post("/api/v1/checkins", json={"token": code.json["token"], **HERE})
    assert early.status_code == 403 and early.json["error"]["code"] == "outside_window"


def test_scan_states_over_the_api(saturday, world, api, app):
    events.sign_up(world.volunteer, saturday)
    db.session.commit()
    volunteer = api(world.volunteer)
    # Move the event so that "now" is inside it: starts 5 minutes ago.
    shift = saturday.starts_at - events.utcnow() + timedelta(minutes=5)
    saturday.starts_at -= shift
    saturday.ends_at -= shift
    saturday.signup_deadline -= shift
    db.session.commit()
    token, _ = services.rotating_token(saturday)
    far = volunteer.post("/api/v1/checkins", json={"token": token, "lat": 31.01, "lon": 120.0})
    assert far.status_code == 403 and far.json["error"]["code"] == "outside_geofence"
    nowhere = volunteer.post("/api/v1/checkins", json={"token": token})
    assert nowhere.status_code == 422 and nowhere.json["error"]["code"] == "location_required"
    first = volunteer.post("/api/v1/checkins", json={"token": token, **HERE})
    assert first.status_code == 200 and first.json["state"] == "checked_in"
    again = volunteer.post("/api/v1/checkins", json={"token": token, **HERE})
    assert again.json["state"] == "unchanged" and again.json["attendance_id"] == first.json["attendance_id"]
    forged = volunteer.post("/api/v1/checkins", json={"token": token[:-3] + "abc", **HERE})
    assert forged.status_code == 403 and forged.json["error"]["code"] == "invalid_code"
    rows = api(world.leader).get(f"/api/v1/events/{saturday.id}/attendance").json
    assert [(r["name"], r["status"], r["phone"]) for r in rows] == [("志愿者甲", "open", "137****0002")]


def test_manual_entry_approval_and_my_hours(saturday, world, api):
    manager = api(world.s1_manager)
    start = saturday.starts_at
    body = {"phone": world.volunteer.phone, "checked_in_at": start.isoformat(),
            "checked_out_at": (start + timedelta(minutes=95)).isoformat(), "reason": "扫码失败，现场核实"}
    assert api(world.leader).post(f"/api/v1/events/{saturday.id}/attendance", json=body).status_code == 403
    missing = manager.post(f"/api/v1/events/{saturday.id}/attendance", json={**body, "reason": ""})
    assert missing.status_code == 422 and "reason" in missing.json["error"]["fields"]
    unknown = manager.post(f"/api/v1/events/{saturday.id}/attendance", json={**body, "phone": "13011112222"})
    assert unknown.status_code == 422 and "phone" in unknown.json["error"]["fields"]
    made = manager.post(f"/api/v1/events/{saturday.id}/attendance", json=body)
    assert made.status_code == 201 and made.json["hours"] == 1.5 and made.json["anomalies"] == ["manual"]
    bad_ids = manager.post(f"/api/v1/events/{saturday.id}/attendance/approve", json={"ids": "some"})
    assert bad_ids.status_code == 422
    assert api(world.s2_manager).post(f"/api/v1/events/{saturday.id}/attendance/approve",
                                      json={"ids": "all"}).status_code == 403
    approved = manager.post(f"/api/v1/events/{saturday.id}/attendance/approve", json={"ids": [made.json["id"]]})
    assert approved.json == {"approved": [made.json["id"]], "count": 1, "awaiting_second_person": []}
    again = manager.post(f"/api/v1/events/{saturday.id}/attendance/approve", json={"ids": "all"})
    assert again.json == {"approved": [], "count": 0, "awaiting_second_person": []}
    hours = api(world.volunteer).get("/api/v1/me/hours").json
    assert hours["total_hours"] == 1.5 and hours["star_level"] == 0 and hours["next_star_hours"] == 100
    assert hours["attendance"][0]["approved_at"] is not None


def test_sign_up_list_and_cancelling_over_the_api(saturday, world, api):
    api(world.volunteer).post(f"/api/v1/events/{saturday.id}/signups")
    assert api(world.volunteer).get(f"/api/v1/events/{saturday.id}/signups").status_code == 403
    listed = api(world.leader).get(f"/api/v1/events/{saturday.id}/signups").json
    assert [(s["user_id"], s["status"]) for s in listed] == [(world.volunteer.id, "confirmed")]
    assert api(world.leader).delete(f"/api/v1/events/{saturday.id}", json={"reason": "雨"}).status_code == 403
    no_reason = api(world.s1_manager).delete(f"/api/v1/events/{saturday.id}", json={"reason": ""})
    assert no_reason.status_code == 422
    cancelled = api(world.s1_manager).delete(f"/api/v1/events/{saturday.id}", json={"reason": "暴雨预警"})
    assert cancelled.status_code == 200 and cancelled.json["cancelled_at"] is not None
    refused = api(world.volunteer).post("/api/v1/checkins", json={"token": services.poster_token(saturday), **HERE})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "conflict"
