from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from tests.parallel import race, values
from tests.test_concurrency import PARALLEL, in_parallel
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.merchants.models import Offer
from volunteer_hub.people import services as people
from volunteer_hub.people.models import User
from volunteer_hub.vouchers import services
from volunteer_hub.vouchers.models import Voucher, VoucherAttempt

IP = "127.0.0.1"


@pytest.fixture
def haircut(world, shop):  # noqa: F811
    owner = db.session.get(User, shop.owner_id)
    offer = merchants.create_offer(owner, shop, title="理发一次", price=5, stock=3, monthly_limit=2)
    credits.adjust(world.s1_manager, world.volunteer, 12, "表彰")
    db.session.commit()
    return offer


def owner_of(offer):
    return db.session.get(User, offer.merchant.owner_id)


def test_voucher_holds_then_confirm_moves_credits_and_stock(world, haircut):
    voucher = services.create(world.volunteer, haircut)
    assert len(voucher.code) == 8 and voucher.expires_at - utcnow() <= timedelta(minutes=10)
    assert credits.wallet_summary(world.volunteer) | {"account_id": None} == {
        "balance": 12, "held": 5, "available": 7, "account_id": None}
    assert haircut.reserved == 1
    services.confirm(owner_of(haircut), voucher.code.lower(), IP)
    db.session.refresh(haircut)
    assert (haircut.stock, haircut.reserved) == (2, 0)
    assert credits.wallet_summary(world.volunteer)["balance"] == 7
    assert credits.merchant_account(haircut.merchant).balance == 10
    with pytest.raises(Conflict) as again:
        services.confirm(owner_of(haircut), voucher.code, IP)
    assert (again.value.code, again.value.message) == ("not_open", "该兑换券已核销，不能重复使用。")
    assert credits.ledger_problems() == []


def test_limits_at_creation(world, haircut):
    credits.adjust(world.s1_manager, world.volunteer, 10, "表彰")  # credits are not what limits here
    services.create(world.volunteer, haircut)
    services.create(world.volunteer, haircut)
    with pytest.raises(Conflict) as caught:  # monthly limit 2
        services.create(world.volunteer, haircut)
    assert caught.value.code == "monthly_limit"
    db.session.rollback()
    with pytest.raises(Forbidden):  # not paired with S3
        services.create(world.outsider, haircut)


def test_insufficient_credits_and_sold_out(world, haircut):
    credits.adjust(world.s1_manager, world.leader, 5, "表彰")
    services.create(world.leader, haircut)
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        services.create(world.leader, haircut)
    assert caught.value.code == "insufficient_credits"
    db.session.rollback()
    services.create(world.volunteer, haircut)
    services.create(world.volunteer, haircut)
    credits.adjust(world.s2_manager, world.s2_volunteer, 5, "表彰")
    with pytest.raises(Conflict) as caught:  # stock 3, all reserved
        services.create(world.s2_volunteer, haircut)
    assert caught.value.code == "sold_out"


def test_cancel_and_expiry_release_the_hold(world, haircut):
    voucher = services.create(world.volunteer, haircut)
    with pytest.raises(NotFound):
        services.cancel(world.leader, voucher)
    services.cancel(world.volunteer, voucher)
    assert credits.wallet_summary(world.volunteer)["held"] == 0
    with pytest.raises(Conflict) as again:
        services.cancel(world.volunteer, voucher)
    assert again.value.message == "该兑换券已取消。"
    late = services.create(world.volunteer, haircut)
    with pytest.raises(Conflict) as caught:
        services.confirm(owner_of(haircut), late.code, IP, now=late.expires_at + timedelta(seconds=1))
    assert caught.value.code == "expired" and "过期" in caught.value.message and "T" not in caught.value.message
    assert services.expire_due(now=late.expires_at) == 1
    assert services.expire_due(now=late.expires_at) == 0
    assert credits.wallet_summary(world.volunteer)["held"] == 0
    assert db.session.get(Offer, haircut.id).reserved == 0


def test_wrong_codes_are_logged_and_rate_limited(world, haircut):
    staff = owner_of(haircut)
    voucher = services.create(world.volunteer, haircut)
    db.session.commit()
    for i in range(services.FAILURES_PER_ACCOUNT):
        with pytest.raises(NotFound):
            services.find_for_counter(staff, f"WRONG{i:03d}", IP)
    with pytest.raises(services.RateLimited):  # even the right code, for a quarter of an hour
        services.find_for_counter(staff, voucher.code, IP)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoucherAttempt)) == 10
    other_merchant_staff = people.create_user(name="别家店员", phone="13612349999", password=world.PASSWORD)
    db.session.commit()
    with pytest.raises(NotFound):  # codes are looked up among the staff's own merchant's vouchers only
        services.find_for_counter(other_merchant_staff, voucher.code, "10.0.0.9")


def test_fifty_parallel_confirms_redeem_once(app, world, haircut):
    voucher = services.create(world.volunteer, haircut)
    token = people.issue_token(owner_of(haircut))[0]
    db.session.commit()
    url = f"/api/v1/redemptions/{voucher.code}/confirm"
    answers = values(race(50, lambda _i: app.test_client().post(url, headers={"Authorization": f"Bearer {token}"})))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 49
    assert {a.json["error"]["code"] for a in answers if a.status_code == 409} == {"not_open"}  # already redeemed
    db.session.expire_all()
    assert credits.wallet_summary(world.volunteer)["balance"] == 7
    assert db.session.get(Offer, haircut.id).stock == 2 and credits.ledger_problems() == []


def test_credits_for_one_voucher_at_two_merchants_at_once_give_one(app, world, haircut, shop):  # noqa: F811
    other = merchants.register_merchant(world.admin, centre=world.centre, owner=world.outsider, name="书屋",
                                        address="", contact_phone="13612345670", licence_no="91320509MA1TEST09X")
    merchants.approve(world.centre_admin, other, [world.s1.id])
    book = merchants.create_offer(world.outsider, other, title="借书卡", price=12)
    dye = merchants.create_offer(owner_of(haircut), shop, title="染发", price=12)
    token = people.issue_token(world.volunteer)[0]  # 12 credits: enough for one of the two
    db.session.commit()
    offers = [book.id, dye.id] * (PARALLEL // 2)
    headers = {"Authorization": f"Bearer {token}"}
    statuses = in_parallel(app, lambda c: c.post("/api/v1/redemptions", json={"offer_id": offers.pop()},
                                                 headers=headers))
    assert statuses == [201] + [409] * (PARALLEL - 1)
    db.session.expire_all()
    assert credits.wallet_summary(world.volunteer)["held"] == 12
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)) == 1


def test_voucher_pages_end_to_end(world, haircut, app):
    from tests.test_pages import login, text

    volunteer = login(app.test_client(), world.volunteer)
    page = text(volunteer.get("/offers"))
    assert "理发一次" in page and f"/offers/{haircut.id}/redeem" in page
    made = volunteer.post(f"/offers/{haircut.id}/redeem")
    assert made.status_code == 302
    voucher_page = text(volunteer.get(made.headers["Location"]))
    code = db.session.scalar(sa.select(Voucher.code))
    assert code in voucher_page and "data:image/png;base64," in voucher_page
    staff = app.test_client()
    login(staff, owner_of(haircut))
    console = staff.post("/merchant", data={"code": code.lower()})
    assert console.headers["Location"] == f"/r/{code}"
    counter = text(staff.get(f"/r/{code}"))
    assert "理发一次" in counter and "137****0002" in counter and "志**" in counter
    confirmed = staff.post(f"/r/{code}", follow_redirects=True)
    assert "flash-success" in text(confirmed) and "理发一次" in text(confirmed)
    assert volunteer.get("/merchant").status_code == 403
    db.session.expire_all()
    assert credits.wallet_summary(world.volunteer)["balance"] == 7


def test_monthly_settlement_page_and_csv(world, haircut, app):
    from tests.test_pages import login, text

    for _ in range(2):
        voucher = services.create(world.volunteer, haircut)
        services.confirm(owner_of(haircut), voucher.code, IP)
    db.session.commit()
    summary = services.settlement(haircut.merchant)
    assert summary["total_units"] == 20 and summary["offers"] == [{"title": "理发一次", "count": 2, "units": 20}]
    staff = login(app.test_client(), owner_of(haircut))
    page = text(staff.get(f"/merchants/{haircut.merchant_id}/settlement"))
    assert "理发一次" in page and ">10<" in page and "10.0" not in page  # whole credits without ".0"
    csv_text = staff.get(f"/merchants/{haircut.merchant_id}/settlement.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffconfirmed_at") and csv_text.count("理发一次") == 2 and "志**甲" in csv_text
    assert "total,,,10," in csv_text and "10.0" not in csv_text
    assert staff.get(f"/merchants/{haircut.merchant_id}/settlement?month=2026-13").status_code == 422
    outsider = login(app.test_client(), world.volunteer)
    assert outsider.get(f"/merchants/{haircut.merchant_id}/settlement").status_code == 403
    admin = login(app.test_client(), world.centre_admin)
    assert admin.get(f"/merchants/{haircut.merchant_id}/settlement.csv").status_code == 200


def test_my_vouchers_list_usable_ones_first_then_the_rest(world, haircut, app):
    from tests.test_pages import login, text

    now = utcnow()
    used = services.create(world.volunteer, haircut, now=now - timedelta(days=3))
    services.confirm(owner_of(haircut), used.code, IP, now=now - timedelta(days=3))
    lapsed = services.create(world.volunteer, haircut, now=now - timedelta(hours=1))  # past its time, not yet swept
    usable = services.create(world.volunteer, haircut, now=now)
    db.session.commit()
    listed = db.session.scalars(services.vouchers_of(world.volunteer, now)).all()
    assert [v.id for v in listed] == [usable.id, lapsed.id, used.id]
    assert [services.shown_status(v, now) for v in listed] == ["open", "expired", "confirmed"]
    assert db.session.scalars(services.vouchers_of(world.s2_volunteer, now)).all() == []

    page = text(login(app.test_client(), world.volunteer).get("/me/vouchers"))
    assert page.index(usable.code) < page.index(lapsed.code) < page.index(used.code)
    assert "可使用" in page and "已过期" in page and "已核销" in page and "核销于" in page
    empty = text(login(app.test_client(), world.s2_volunteer).get("/me/vouchers"))
    assert "还没有兑换券" in empty and "/offers" in empty
