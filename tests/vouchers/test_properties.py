"""Random sequences of grant, claw-back, voucher, confirm, cancel and expire keep the ledger sound."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from tests.properties import PropertyRun, earn
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import DomainError
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.nodes import services as nodes
from volunteer_hub.people.models import User
from volunteer_hub.vouchers import services
from volunteer_hub.vouchers.models import Voucher

PRICES = (1, 2.5, 4)  # credits
KINDS = ["mint", "grant", "clawback", "voucher", "confirm", "cancel", "expire"]


@pytest.fixture
def offers(world, shop):  # noqa: F811
    owner = db.session.get(User, shop.owner_id)
    made = [merchants.create_offer(owner, shop, title=f"项目{p}", price=p) for p in PRICES]
    db.session.commit()
    return made


steps = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 1), st.integers(0, 2), st.integers(1, 6)),
                 min_size=4, max_size=30)


def test_ledger_invariants_hold_for_any_sequence(world, offers):
    """Earned, granted, clawed back, held by vouchers, redeemed, released: the ledger stays sound and
    each wallet holds, in credits, exactly the prices of its open vouchers."""
    for person in (world.volunteer, world.leader):  # enough to start with that vouchers are made early
        credits.adjust(world.s1_manager, person, 10, "起始")
    nodes.update_settings(world.centre_admin, world.centre, review_grant_credits=100_000)  # no second person here
    db.session.commit()
    run = PropertyRun(world, *offers)

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(ops=steps)
    def sequence(ops):
        w, *shop_offers = run.fresh()
        people = [w.volunteer, w.leader]
        staff = db.session.get(User, shop_offers[0].merchant.owner_id)
        clock = utcnow()
        # Service days follow one another, never overlapping, inside the 30-day back-entry window.
        worked_until = clock - timedelta(days=20)
        for op, who, which, amount in ops:
            person = people[who]
            clock += timedelta(minutes=3)
            open_vouchers = db.session.scalars(sa.select(Voucher).where(Voucher.status == "open")
                                               .order_by(Voucher.id)).all()
            chosen = open_vouchers[which % len(open_vouchers)] if open_vouchers else None
            try:
                if op == "mint":
                    worked_until += timedelta(hours=amount + 1)
                    earn(w, person, amount, worked_until)
                elif op == "grant":
                    credits.adjust(w.s1_manager, person, amount, "发放")
                elif op == "clawback":
                    credits.adjust(w.s1_manager, person, -amount, "扣回")
                elif op == "voucher":
                    services.create(person, shop_offers[which], now=clock)
                elif op == "confirm" and chosen:
                    services.confirm(staff, chosen.code, "127.0.0.1", now=clock)
                elif op == "cancel" and chosen:
                    services.cancel(chosen.user, chosen, now=clock)
                elif op == "expire" and chosen:
                    # Past every open voucher's validity: each one expires and lets its credits go.
                    clock = chosen.expires_at
                    assert services.expire_due(now=clock) >= 1
                else:
                    continue  # nothing open to confirm or cancel
                db.session.commit()
                run.succeeded(op)
            except DomainError:
                db.session.rollback()
            assert credits.ledger_problems() == []
            for p in people:
                summary = credits.wallet_summary(p)
                open_prices = [PRICES[[o.id for o in shop_offers].index(v.offer_id)] for v in db.session.scalars(
                    sa.select(Voucher).where(Voucher.user_id == p.id, Voucher.status == "open"))]
                assert summary["available"] >= 0 and summary["held"] == sum(open_prices)

    try:
        sequence()
    finally:
        run.drop()
    run.assert_each_succeeded(KINDS)
