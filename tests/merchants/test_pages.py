import sqlalchemy as sa

from tests.test_pages import login, text
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import Merchant, Offer


def test_apply_approve_staff_and_offer_pages(world, app):
    applicant = login(app.test_client(), world.outsider)
    bad = applicant.post("/merchants/apply", data={"name": "书屋", "contact_phone": "123", "licence_no": "x",
                                                   "centre_id": world.centre.id})
    assert bad.status_code == 422 and 'id="contact_phone-error"' in text(bad)
    sent = applicant.post("/merchants/apply", data={"name": "东门书屋", "address": "东门路 1 号",
                                                    "contact_phone": "13612345678", "licence_no": "91320509MA1PAGE01X",
                                                    "centre_id": world.centre.id}, follow_redirects=True)
    assert "flash-success" in text(sent)
    merchant_id = db.session.scalar(sa.select(Merchant.id))
    admin = login(app.test_client(), world.centre_admin)
    page = text(admin.get(f"/merchants/{merchant_id}"))
    assert "91320509MA1PAGE01X" in page and f"/merchants/{merchant_id}/approve" in page
    assert admin.post(f"/merchants/{merchant_id}/approve", data={}).status_code == 422
    approved = admin.post(f"/merchants/{merchant_id}/approve", data={"station_ids": [world.s1.id]},
                          follow_redirects=True)
    assert "flash-success" in text(approved)
    offer = applicant.post(f"/merchants/{merchant_id}/offers", data={"title": "借书卡", "price": "2.5", "stock": "5"},
                           follow_redirects=True)
    assert "借书卡" in text(offer) and "flash-success" in text(offer)
    assert db.session.scalar(sa.select(Offer.price)) == 5
    staff = applicant.post(f"/merchants/{merchant_id}/staff", data={"phone": world.volunteer.phone},
                           follow_redirects=True)
    assert "flash-success" in text(staff) and world.volunteer.name not in text(staff)
    invited = login(app.test_client(), world.volunteer)
    assert "东门书屋" in text(invited.get("/merchants/invitations"))
    volunteer = login(app.test_client(), world.volunteer)
    assert "东门书屋" in text(volunteer.get("/merchants"))
    assert volunteer.post(f"/merchants/{merchant_id}/offers", data={"title": "x", "price": "1"}).status_code == 403


def test_credit_adjustment_page(world, client):
    login(client, world.volunteer)
    assert client.get("/credits/adjust").status_code == 403
    client.post("/logout")
    login(client, world.s1_manager)
    done = client.post("/credits/adjust", data={"phone": world.volunteer.phone, "credits": "3", "reason": "表彰"},
                       follow_redirects=True)
    assert "flash-success" in text(done)
    refused = client.post("/credits/adjust", data={"phone": world.volunteer.phone, "credits": "-5", "reason": "扣"})
    assert refused.status_code == 422 and "flash-error" in text(refused)
    elsewhere = client.post("/credits/adjust", data={"phone": world.s2_volunteer.phone, "credits": "1", "reason": "x"})
    assert elsewhere.status_code == 403  # a volunteer of another station
    db.session.expire_all()
    assert credits.wallet_summary(world.volunteer)["balance"] == 3
