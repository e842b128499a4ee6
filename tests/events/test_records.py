"""活动台账 and 服务评价: the record with photos (checked by bytes, resized, no EXIF), the share link, and
participants' ratings; service, API and pages on both databases."""
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.roster.test_roster import serve
from tests.test_pages import login
from volunteer_hub.checkin import ratings
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Forbidden, NotFound, ValidationFailed
from volunteer_hub.events import records
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC), tick=True)


def photo(width=3000, height=2000, fmt="JPEG", gps=True) -> bytes:
    image = Image.new("RGB", (width, height), (180, 40, 30))
    out = io.BytesIO()
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x8825] = {2: (31.0, 0.0, 0.0), 4: (120.0, 0.0, 0.0)}  # GPSInfo: where the phone was
        exif[0x0112] = 6  # taken on its side: turn it upright
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def held(saturday):
    """The Saturday day, as seen once it has ended."""
    return saturday, saturday.ends_at + timedelta(minutes=5)


def test_the_organiser_records_the_activity_with_photos(app, world, held):
    day, after = held
    record = records.save_record(world.leader, day, summary="清理楼道 12 处，劝导文明养犬", people_served=35,
                                 photos=[photo(), photo(800, 600, "PNG")], now=after)
    db.session.commit()
    assert (record.people_served, len(record.photos)) == (35, 2)
    big = Image.open(io.BytesIO(record.photos[0].content))
    assert big.format == "JPEG" and big.size == (1067, 1600)  # turned upright, then 1600 px on its long side
    assert not big.getexif()  # no GPS, no camera data
    assert (record.photos[1].width, record.photos[1].height) == (800, 600)

    changed = records.save_record(world.s1_manager, day, summary="清理楼道 12 处", people_served=40,
                                  remove_photo_ids=[record.photos[0].id], photos=[photo(400, 400)], now=after)
    db.session.commit()
    assert [p.width for p in changed.photos] == [800, 400]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "activity.record")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.data["before"]["people_served"] == 35 and entry.data["after"]["people_served"] == 40


@pytest.mark.parametrize("change, field", [
    ({"summary": " "}, "summary"), ({"people_served": -1}, "people_served"),
    ({"people_served": True}, "people_served"), ({"photos": [b"GIF89a not allowed"]}, "photos"),
    ({"photos": [b"\xff\xd8\xff broken jpeg"]}, "photos"), ({"photos": [photo(100, 100)] * 10}, "photos"),
])
def test_a_bad_record_is_refused_and_nothing_is_written(app, world, held, change, field):
    day, after = held
    values = {"summary": "活动小结", "people_served": 3, **change}
    with pytest.raises(ValidationFailed) as refused:
        records.save_record(world.leader, day, now=after, **values)
    assert field in refused.value.fields
    db.session.rollback()
    assert records.record_of(day) is None


def test_only_those_who_run_the_day_record_it_and_not_before_it_begins(app, world, held):
    day, after = held
    with pytest.raises(Forbidden):
        records.save_record(world.volunteer, day, summary="我来写", people_served=1, now=after)
    with pytest.raises(ValidationFailed):
        records.save_record(world.leader, day, summary="还没开始", people_served=1,
                            now=day.starts_at - timedelta(hours=1))


def test_the_share_link_shows_the_record_without_personal_data_and_can_be_replaced(app, world, held):
    day, after = held
    record = records.save_record(world.leader, day, summary="清理楼道", people_served=12, photos=[photo(600, 400)],
                                 now=after)
    db.session.commit()
    token, photo_id = record.share_token, record.photos[0].id
    anonymous = app.test_client()
    page = anonymous.get(f"/events/shared/{token}")
    assert page.status_code == 200 and "清理楼道" in page.text and "12" in page.text
    assert "137" not in page.text and "志愿者甲" not in page.text
    image = anonymous.get(f"/events/shared/{token}/photos/{photo_id}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    records.new_share_link(world.s1_manager, day)
    db.session.commit()
    assert anonymous.get(f"/events/shared/{token}").status_code == 404
    assert anonymous.get(f"/events/shared/{token}/photos/{photo_id}.jpg").status_code == 404
    assert anonymous.get("/events/shared/x").status_code == 404


def test_the_pages_and_the_api(app, world, held, api, clock):
    day, after = held
    clock.move_to(after)
    leader = login(app.test_client(), world.leader)
    form = leader.get(f"/events/{day.id}/record")
    assert form.status_code == 200 and "服务群众" in form.text
    bad = leader.post(f"/events/{day.id}/record", data={"summary": "小结", "people_served": "-3"})
    assert bad.status_code == 422
    saved = leader.post(f"/events/{day.id}/record", data={
        "summary": "清理楼道", "people_served": "20", "photos": [(io.BytesIO(photo(900, 600)), "a.jpg"),
                                                                (io.BytesIO(b"not an image"), "b.jpg")]})
    assert saved.status_code == 422 and "照片 2" in saved.text
    saved = leader.post(f"/events/{day.id}/record", data={
        "summary": "清理楼道", "people_served": "20", "photos": [(io.BytesIO(photo(900, 600)), "a.jpg")]})
    assert saved.status_code == 302
    shown = leader.get(f"/events/{day.id}")
    assert "清理楼道" in shown.text and "/events/shared/" in shown.text
    assert login(app.test_client(), world.volunteer).get(f"/events/{day.id}/record").status_code == 403

    token = api(world.leader)
    got = token.get(f"/api/v1/events/{day.id}/record")
    assert got.status_code == 200 and got.json["people_served"] == 20 and len(got.json["photos"]) == 1
    assert got.json["share_url"].startswith("http://localhost/events/shared/")
    put = token.put(f"/api/v1/events/{day.id}/record", json={"summary": "改过的小结", "people_served": 25,
                                                             "remove_photo_ids": [got.json["photos"][0]["id"]]})
    assert put.status_code == 200 and put.json["photos"] == []
    added = token.post(f"/api/v1/events/{day.id}/record/photos", data={"photo": (io.BytesIO(photo(500, 500)),
                                                                                  "p.jpg")})
    assert added.status_code == 201 and len(added.json["photos"]) == 1
    junk = token.post(f"/api/v1/events/{day.id}/record/photos", data={"photo": (io.BytesIO(b"<svg/>"), "p.svg")})
    assert junk.status_code == 422
    volunteer = api(world.volunteer)
    assert volunteer.post(f"/api/v1/events/{day.id}/record/photos", data={}).status_code == 403
    assert volunteer.put(f"/api/v1/events/{day.id}/record",
                         json={"summary": "x", "people_served": 1}).status_code == 403


def test_participants_rate_a_day_after_it_ends(app, world, saturday, api, clock):
    serve(world, saturday, world.volunteer, 2)
    with pytest.raises(ValidationFailed):  # not yet ended
        ratings.rate(world.volunteer, saturday, stars=5, now=saturday.ends_at - timedelta(minutes=1))
    with pytest.raises(Forbidden):  # did not take part
        ratings.rate(world.leader, saturday, stars=1, now=saturday.ends_at)
    for stars in (0, 6, True):
        with pytest.raises(ValidationFailed):
            ratings.rate(world.volunteer, saturday, stars=stars, now=saturday.ends_at)
    ratings.rate(world.volunteer, saturday, stars=3, comment="组织得不错", now=saturday.ends_at)
    ratings.rate(world.volunteer, saturday, stars=4, comment="组织得很好", now=saturday.ends_at)  # changes it
    db.session.commit()
    summary = ratings.summary(world.leader, saturday)
    assert summary["count"] == 1 and summary["average"] == 4 and summary["comments"][0].comment == "组织得很好"
    with pytest.raises(Forbidden):
        ratings.summary(world.volunteer, saturday)

    clock.move_to(saturday.ends_at + timedelta(hours=1))
    page = login(app.test_client(), world.volunteer)
    assert page.get(f"/events/{saturday.id}/rating").status_code == 200
    assert page.post(f"/events/{saturday.id}/rating", data={"stars": "5", "comment": "下次还来"}).status_code == 302
    assert page.post(f"/events/{saturday.id}/rating", data={"stars": "9"}).status_code == 422
    outsider = login(app.test_client(), world.s2_volunteer)
    assert "签到" in outsider.get(f"/events/{saturday.id}/rating").text
    attendance = login(app.test_client(), world.leader).get(f"/events/{saturday.id}/attendance")
    assert "下次还来" in attendance.text
    assert api(world.volunteer).put(f"/api/v1/events/{saturday.id}/rating", json={"stars": 2}).json["stars"] == 2
    assert api(world.leader).get(f"/api/v1/events/{saturday.id}/ratings").json["average"] == 2
    assert api(world.volunteer).get(f"/api/v1/events/{saturday.id}/ratings").status_code == 403
    assert api(world.s2_volunteer).put(f"/api/v1/events/{saturday.id}/rating", json={"stars": 2}).status_code == 403


def test_no_record_is_a_404(app, world, saturday, api):
    assert api(world.leader).get(f"/api/v1/events/{saturday.id}/record").status_code == 404
    with pytest.raises(NotFound):
        records.new_share_link(world.leader, saturday)
    events.cancel_service_day(world.s1_manager, saturday, "下雨")
    with pytest.raises(ValidationFailed):
        records.save_record(world.leader, saturday, summary="x", people_served=0, now=saturday.ends_at)
