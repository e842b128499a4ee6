"""封面: a service day's cover picture, checked by its bytes, resized and stripped of EXIF, kept by a copied
day; shown to whoever may see the day; service, pages and API."""
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.events.test_records import photo
from tests.test_pages import login
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.events import covers
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC), tick=True)


def test_a_cover_is_resized_without_its_metadata_and_audited(app, world, saturday):
    cover = covers.set_cover(world.leader, saturday, photo(3000, 2000))
    db.session.commit()
    stored = Image.open(io.BytesIO(cover.content))
    assert stored.format == "JPEG" and stored.size == (800, 1200)  # turned upright, 1200 px on its long side
    assert not stored.getexif()
    assert covers.versions([saturday.id, saturday.id + 1000]) == {saturday.id: int(cover.updated_at.timestamp())}
    covers.remove_cover(world.s1_manager, saturday)
    db.session.commit()
    assert covers.cover_of(saturday) is None and covers.versions([saturday.id]) == {}
    actions = db.session.scalars(sa.select(AuditEntry.data).where(AuditEntry.action == "service_day.cover")
                                 .order_by(AuditEntry.id)).all()
    assert [a["after"]["cover"] for a in actions] == [True, False]


@pytest.mark.parametrize("data", [b"GIF89a", b"\xff\xd8\xff broken", b"\x89PNG\r\n\x1a\n" + bytes(15 * 1024 * 1024)])
def test_a_bad_cover_is_refused_and_the_old_one_stays(app, world, saturday, data):
    covers.set_cover(world.leader, saturday, photo(300, 200, gps=False))
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        covers.set_cover(world.leader, saturday, data)
    assert "cover" in refused.value.fields
    db.session.rollback()
    assert covers.cover_of(saturday).width == 300


def test_only_those_who_run_the_day_change_its_cover(app, world, saturday):
    for outsider in (world.volunteer, world.s2_manager):
        with pytest.raises(Forbidden):
            covers.set_cover(outsider, saturday, photo(100, 100))
        with pytest.raises(Forbidden):
            covers.remove_cover(outsider, saturday)


def test_pages_show_the_cover_or_a_date_tile_and_a_copy_keeps_it(app, world, saturday):
    manager = login(app.test_client(), world.s1_manager)
    listing = manager.get("/events")
    assert "cover-tile" in listing.text and f"/events/{saturday.id}/cover.jpg" not in listing.text
    assert manager.get(f"/events/{saturday.id}/cover.jpg").status_code == 404

    form = manager.get(f"/events/{saturday.id}/edit").text
    assert 'enctype="multipart/form-data"' in form and "remove_cover" not in form
    values = {"title": saturday.title, "starts_at": "2026-11-21T08:30", "ends_at": "2026-11-21T11:30",
              "capacity": "2", "allow_walk_ins": "", "checkin_radius_m": "0"}
    refused = manager.post(f"/events/{saturday.id}/edit", data={**values, "cover": (io.BytesIO(b"<svg/>"), "c.svg")})
    assert refused.status_code == 422 and "封面" in refused.text
    upload = (io.BytesIO(photo(600, 400)), "c.jpg")
    saved = manager.post(f"/events/{saturday.id}/edit", data={**values, "cover": upload})
    assert saved.status_code == 302, saved.text
    version = covers.versions([saturday.id])[saturday.id]
    url = f"/events/{saturday.id}/cover.jpg?v={version}"
    assert url in manager.get("/events").text and url in manager.get(f"/events/{saturday.id}").text
    picture = login(app.test_client(), world.volunteer).get(url)
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    assert "private" in picture.headers["Cache-Control"] and picture.headers["ETag"]
    again = login(app.test_client(), world.volunteer).get(url, headers={"If-None-Match": picture.headers["ETag"]})
    assert again.status_code == 304
    assert app.test_client().get(url).status_code == 302  # to the log-in page

    copied = manager.get(f"/events/new?copy={saturday.id}")
    assert copied.status_code == 200
    published = manager.post(f"/events/new?copy={saturday.id}", data={
        **values, "node_id": str(world.s1.id), "starts_at": "2026-11-28T08:30", "ends_at": "2026-11-28T11:30"})
    assert published.status_code == 302, published.text
    copy_id = int(published.headers["Location"].rsplit("/", 1)[1])
    assert covers.cover_of(db.session.get(events.ServiceDay, copy_id)).content == covers.cover_of(saturday).content

    removed = manager.post(f"/events/{saturday.id}/edit", data={**values, "remove_cover": "y"})
    assert removed.status_code == 302 and covers.cover_of(saturday) is None


def test_the_api_sets_and_removes_a_cover(app, world, saturday, api):
    leader = api(world.leader)
    assert leader.get(f"/api/v1/events/{saturday.id}").json["cover_url"] is None
    put = leader.put(f"/api/v1/events/{saturday.id}/cover", data={"cover": (io.BytesIO(photo(400, 300)), "c.jpg")})
    assert put.status_code == 200 and "/cover.jpg?v=" in put.json["cover_url"]
    junk = leader.put(f"/api/v1/events/{saturday.id}/cover", data={"cover": (io.BytesIO(b"<svg/>"), "c.svg")})
    assert junk.status_code == 422
    assert api(world.volunteer).put(f"/api/v1/events/{saturday.id}/cover", data={}).status_code == 403
    assert api(world.volunteer).delete(f"/api/v1/events/{saturday.id}/cover").status_code == 403
    assert leader.delete(f"/api/v1/events/{saturday.id}/cover").status_code == 204
    assert leader.get(f"/api/v1/events/{saturday.id}").json["cover_url"] is None
