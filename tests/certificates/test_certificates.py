"""志愿服务记录证明: a numbered snapshot, checked by an unguessable link, revoked with a reason."""
import io
from datetime import UTC, datetime, timedelta

import pytest

from volunteer_hub.certificates import services
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def served(world):
    """Three approved hours of the volunteer at S1, yesterday."""
    start = utcnow() - timedelta(days=1)
    day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="周五环境美化", starts_at=start,
                                    ends_at=start + timedelta(hours=3), capacity=5, now=start - timedelta(days=1))
    checkin.manual_entry(world.s1_manager, day, phone=world.volunteer.phone, checked_in_at=day.starts_at,
                         checked_out_at=day.ends_at, reason="补录")
    checkin.approve(world.s1_manager, day, "all")
    db.session.commit()
    return day


def test_a_certificate_is_a_numbered_snapshot(world, served):
    first = services.issue(world.volunteer, world.volunteer)
    assert first.number == "T-2026-00001" and first.handler_id == world.volunteer.id
    assert first.snapshot["total_hours"] == 3 and first.snapshot["services"][0]["title"] == "周五环境美化"
    assert first.snapshot["masked_name"] == "志**甲" and len(first.token) == 43  # 256 random bits, no id
    # Later changes do not touch it: the hours are reversed, the certificate still says what it said.
    row = checkin.attendance_of(served, world.volunteer)
    checkin.reverse(world.i1_manager, served, row, "录错")
    assert services.by_token(first.token).snapshot["total_hours"] == 3
    with pytest.raises(ValidationFailed):  # nothing approved left to certify
        services.issue(world.volunteer, world.volunteer)


def test_who_issues_and_who_revokes(world, served):
    with pytest.raises(Forbidden):
        services.issue(world.s2_manager, world.volunteer)
    by_manager = services.issue(world.s1_manager, world.volunteer)
    assert by_manager.snapshot["handler"] == world.s1_manager.name and by_manager.number.endswith("00001")
    assert services.issue(world.volunteer, world.volunteer).number.endswith("00002")
    with pytest.raises(NotFound):
        services.get_certificate_for(world.s2_volunteer, by_manager.id)
    with pytest.raises(Forbidden):
        services.revoke(world.volunteer, by_manager, "不要了")
    with pytest.raises(ValidationFailed):
        services.revoke(world.s1_manager, by_manager, "")
    services.revoke(world.s1_manager, by_manager, "时长有误")
    with pytest.raises(Conflict):
        services.revoke(world.i1_manager, by_manager, "再撤一次")


def test_public_verification_shows_the_snapshot_and_revocation(world, served, client, app):
    certificate = services.issue(world.volunteer, world.volunteer)
    db.session.commit()
    page = app.test_client().get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "志**甲" in page and world.volunteer.name not in page and certificate.number in page
    assert app.test_client().get(f"/verify/{certificate.token[:-1]}x").status_code == 404
    api = app.test_client().get(f"/api/v1/certificates/verify/{certificate.token}").json
    assert api["revoked"] is False and api["snapshot"]["total_hours"] == 3 and "name" not in api["snapshot"]
    services.revoke(world.s1_manager, certificate, "时长有误")
    db.session.commit()
    assert "已撤销" in app.test_client().get(f"/verify/{certificate.token}").get_data(as_text=True)


def test_self_service_pages_and_the_pdf(world, served, client):
    client.post("/login", data={"phone": world.volunteer.phone, "password": world.PASSWORD})
    issued = client.post("/me/certificates", follow_redirects=True)
    page = issued.get_data(as_text=True)
    assert issued.status_code == 200 and "T-2026-00001" in page and "<svg" in page and "/verify/" in page
    certificate_id = services.certificates_of(world.volunteer)[0].id
    pdf = client.get(f"/certificates/{certificate_id}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF") and len(pdf.data) > 5000


def test_the_centre_seal_is_a_png_set_by_its_admins(world, served, client):
    with pytest.raises(Forbidden):
        services.set_seal(world.s1_manager, world.centre, PNG)
    with pytest.raises(ValidationFailed):
        services.set_seal(world.centre_admin, world.centre, b"GIF89a" + bytes(10))
    client.post("/login", data={"phone": world.centre_admin.phone, "password": world.PASSWORD})
    url = f"/centres/{world.centre.id}/seal"
    assert client.post(url, data={"seal": (io.BytesIO(b"not an image"), "seal.png")}).status_code == 422
    saved = client.post(url, data={"seal": (io.BytesIO(PNG), "seal.png")})
    assert saved.status_code == 302 and services.seal_of(world.centre.id).png == PNG
