"""Pages of a service day: list, sign-up, the scan page with login in between, screen, attendance, hours."""
import base64
import io
import re
from datetime import timedelta

import zxingcpp
from PIL import Image

from tests.test_pages import login, text
from volunteer_hub.checkin import services
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db


def start_now(day, minutes_ago=15):
    shift = day.starts_at - events.utcnow() + timedelta(minutes=minutes_ago)
    day.starts_at -= shift
    day.ends_at -= shift
    day.signup_deadline -= shift
    db.session.commit()


def test_browse_and_sign_up(world, saturday, client):
    login(client, world.volunteer)
    listing = text(client.get("/events"))
    assert "周六环境美化日" in listing
    page = text(client.get(f"/events/{saturday.id}"))
    assert f"/events/{saturday.id}/signup" in page
    done = client.post(f"/events/{saturday.id}/signup", follow_redirects=True)
    assert "flash-success" in text(done) and f"/events/{saturday.id}/cancel" in text(done)
    hours = text(client.get("/me/hours"))
    assert "周六环境美化日" in hours and "☆☆☆☆☆" in hours


def test_new_service_day_form(world, client):
    login(client, world.volunteer)
    assert client.get("/events/new").status_code == 403
    client.post("/logout")
    login(client, world.leader)  # a team leader may create days for their team
    page = client.get("/events/new")
    assert page.status_code == 200 and world.team.name in text(page)
    bad = client.post("/events/new", data={"title": "晨练", "node_id": world.s1.id, "team_ids": [world.team.id],
                                           "starts_at": "2030-05-04T09:00", "ends_at": "2030-05-04T08:00",
                                           "capacity": 10})
    assert bad.status_code == 422 and 'id="ends_at-error"' in text(bad)
    good = client.post("/events/new", data={
        "title": "护河行动", "node_id": world.s1.id, "team_ids": [world.team.id], "starts_at": "2030-05-04T08:30",
        "ends_at": "2030-05-04T11:30", "capacity": 20, "credits_per_hour": 2}, follow_redirects=True)
    assert "护河行动" in text(good) and "2030-05-04 08:30" in text(good)  # shown in Asia/Shanghai, as entered


def test_scan_page_after_logging_in(world, saturday, app):
    events.sign_up(world.volunteer, saturday)
    start_now(saturday)
    saturday.checkin_radius_m = None  # no geofence: the page submits at once
    db.session.commit()
    token, _ = services.rotating_token(saturday)
    client = app.test_client()
    first = client.get(f"/c/{token}")
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    login_page = client.post("/login?next=" + f"/c/{token}", data={"phone": world.volunteer.phone,
                                                                    "password": "Passw0rd!"})
    assert login_page.headers["Location"] == f"/c/{token}"
    page = client.get(f"/c/{token}")
    assert page.status_code == 200 and 'id="scan-form"' in text(page) and "checkin.js" in text(page)
    result = client.post(f"/c/{token}")
    assert result.status_code == 200 and "✓" in text(result)
    again = client.post(f"/c/{token}")
    assert again.status_code == 200 and "✓" not in text(again)


def test_scan_page_errors(world, saturday, client):
    login(client, world.volunteer)
    forged = client.get("/c/123.456.abc")
    assert forged.status_code == 403 and 'role="alert"' in text(forged)
    token, _ = services.rotating_token(saturday)
    outside = client.post(f"/c/{token}", data={"lat": 31.0, "lon": 120.0})
    assert outside.status_code == 403  # the window is closed: the day is tomorrow


def test_screen_shows_a_rotating_code_that_decodes(world, saturday, client):
    login(client, world.volunteer)
    assert client.get(f"/events/{saturday.id}/screen").status_code == 403
    client.post("/logout")
    login(client, world.leader)
    page = text(client.get(f"/events/{saturday.id}/screen"))
    assert 'screen.js' in page  # the code refreshes itself every 15 s
    png = base64.b64decode(re.search(r'data:image/png;base64,([^"]+)"', page).group(1))
    url = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text
    token = url.rsplit("/c/", 1)[1]
    assert services.parse_token(token, events.utcnow())[0].id == saturday.id


def test_attendance_page_approve_and_manual(world, saturday, client):
    events.sign_up(world.volunteer, saturday)
    services.manual_entry(world.s1_manager, saturday, phone=world.volunteer.phone,
                          checked_in_at=saturday.starts_at, checked_out_at=saturday.starts_at + timedelta(minutes=20),
                          reason="补录")
    db.session.commit()
    login(client, world.s1_manager)
    page = text(client.get(f"/events/{saturday.id}/attendance"))
    assert 'class="anomaly"' in page and "137****0002" in page
    bad = client.post(f"/events/{saturday.id}/attendance/manual", data={"phone": world.leader.phone,
                                                                         "checked_in_at": "2001-01-01T08:00",
                                                                         "reason": "x"})
    assert bad.status_code == 422 and 'id="checked_in_at-error"' in text(bad)
    approved = client.post(f"/events/{saturday.id}/attendance", data={"all": "1"}, follow_redirects=True)
    assert "flash-success" in text(approved)
    db.session.expire_all()
    assert services.attendance_of(saturday, world.volunteer).approved_at is not None
