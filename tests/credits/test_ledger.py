from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties import PropertyRun, earn
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.credits import services as credits
from volunteer_hub.credits.models import CreditEntry, CreditTransaction
from volunteer_hub.extensions import db
from volunteer_hub.nodes import services as nodes


def approved_hours(world, day, user, minutes):
    checkin.manual_entry(world.s1_manager, day, phone=user.phone, checked_in_at=day.starts_at,
                         checked_out_at=day.starts_at + timedelta(minutes=minutes), reason="补录")
    return checkin.approve(world.s1_manager, day, "all")


def test_approval_mints_hours_times_rate_once(world, saturday):
    saturday.credits_per_hour = 3
    rows = approved_hours(world, saturday, world.volunteer, 150)  # 2.5 h × 3 = 7.5 credits
    assert credits.wallet_summary(world.volunteer) == {
        "balance": 7.5, "held": 0, "available": 7.5, "account_id": credits.wallet(world.volunteer).id}
    assert credits.mint_for_attendance(rows[0]).key == f"mint:attendance:{rows[0].id}"  # again: the same posting
    assert checkin.approve(world.s1_manager, saturday, "all") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditTransaction)) == 1
    assert credits.issuance_account(world.centre.id).balance == -15
    assert credits.ledger_problems() == []


def test_units_round_down_to_half_credits(world, saturday):
    saturday.granularity_minutes = 5
    rows = approved_hours(world, saturday, world.volunteer, 25)  # 25 min × 1/h = 0.4166 → 0 half credits
    assert credits.units_for(rows[0]) == 0 and credits.mint_for_attendance(rows[0]) is None
    assert credits.to_units("2.5") == 5 and credits.to_credits(5) == 2.5
    with pytest.raises(ValidationFailed):
        credits.to_units("0.3")


def test_grant_and_claw_back_by_hand(world):
    with pytest.raises(Forbidden):
        credits.adjust(world.s2_manager, world.volunteer, 5, "奖励")
    with pytest.raises(ValidationFailed) as caught:
        credits.adjust(world.s1_manager, world.volunteer, 5, " ")
    assert "reason" in caught.value.fields
    credits.adjust(world.s1_manager, world.volunteer, Decimal("5.5"), "优秀志愿者奖励")
    credits.adjust(world.i1_manager, world.volunteer, -2, "重复计算更正")
    db.session.commit()
    assert credits.wallet_summary(world.volunteer)["balance"] == 3.5
    with pytest.raises(Conflict) as caught:  # never below zero
        credits.adjust(world.s1_manager, world.volunteer, -4, "超额扣回")
    assert caught.value.code == "insufficient_credits"
    db.session.rollback()
    grant = db.session.scalars(sa.select(CreditTransaction).where(CreditTransaction.kind == "grant")).one()
    from volunteer_hub.core.audit import entries_for

    assert entries_for(grant)[0].data == {"user_id": world.volunteer.id, "reason": "优秀志愿者奖励",
                                          "before": 0.0, "after": 5.5}


def test_idempotency_key_posts_once(world):
    credits.adjust(world.s1_manager, world.volunteer, 2, "奖励", key="k1")
    credits.adjust(world.s1_manager, world.volunteer, 2, "奖励", key="k1")
    assert credits.wallet_summary(world.volunteer)["balance"] == 2


def test_unbalanced_postings_are_refused(world):
    wallet = credits.wallet(world.volunteer)
    with pytest.raises(ValueError):
        credits.post("grant", "bad", [(wallet, 5), (credits.issuance_account(world.centre.id), -4)])


def test_cached_balance_check_constraint(world):
    wallet = credits.wallet(world.volunteer)
    wallet.balance = -1
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_releasing_more_than_is_held_is_refused(world):
    wallet = credits.wallet(world.volunteer)
    credits.adjust(world.s1_manager, world.volunteer, 3, "奖励")
    credits.hold(wallet, 4)
    with pytest.raises(credits.LedgerError):
        credits.release(wallet, 5)
    credits.release(wallet, 4)
    assert wallet.held == 0


operations = st.lists(st.tuples(st.sampled_from(["mint", "grant", "clawback"]), st.integers(0, 2),
                                st.integers(1, 8)), min_size=1, max_size=25)


def test_random_sequences_keep_the_ledger_sound(world):
    """Whatever happens, entries sum to zero, cached balances equal their entries, no wallet goes
    negative, and each wallet holds exactly the credits its owner was given: minted through approved
    hours (one credit an hour), granted, or clawed back when there was enough."""
    nodes.update_settings(world.centre_admin, world.centre, review_grant_credits=100_000)  # no second person here
    db.session.commit()
    run = PropertyRun(world)

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(ops=operations)
    def sequence(ops):
        w, = run.fresh()
        people = [w.volunteer, w.leader, w.s2_volunteer]
        expected = {p.id: 0 for p in people}  # credits, as the wallet page shows them
        at = utcnow() - timedelta(days=25)  # inside the centre's 30-day back-entry window
        for op, who, amount in ops:
            person = people[who]
            at += timedelta(hours=12)
            try:
                if op == "mint":
                    earn(w, person, amount, at)  # `amount` hours at one credit an hour
                    expected[person.id] += amount
                elif op == "grant":
                    credits.adjust(w.admin, person, amount, "随机发放")
                    expected[person.id] += amount
                else:
                    credits.adjust(w.admin, person, -amount, "随机扣回")
                    expected[person.id] -= amount
                db.session.commit()
                run.succeeded(op)
            except Conflict:
                db.session.rollback()
                assert op == "clawback" and expected[person.id] < amount  # only below zero is refused
        assert credits.ledger_problems() == []
        assert {p.id: credits.wallet_summary(p)["balance"] for p in people} == expected
        assert db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.amount), 0))) == 0

    try:
        sequence()
    finally:
        run.drop()
    run.assert_each_succeeded(["mint", "grant", "clawback"])
