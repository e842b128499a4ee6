"""Optional expiry: FIFO to the centre's expiry account at the end of the next calendar year, warned ahead."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.parallel import race
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.credits import services as credits
from volunteer_hub.credits.models import CreditTransaction, TransactionKind
from volunteer_hub.extensions import db
from volunteer_hub.notifications.models import Notification

NEW_YEAR_2027 = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Asia/Shanghai

# The centre and its people exist from May 2025, before the credits they earn; Shanghai's calendar.
pytestmark = [pytest.mark.clock(datetime(2025, 5, 1, tzinfo=UTC)), pytest.mark.app_config(TIMEZONE="Asia/Shanghai")]


@pytest.fixture
def history(world):
    """10 credits earned in 2025, 4 in 2026, 3 spent in 2026: FIFO, the 3 came from 2025's."""
    credits.set_policy(world.centre_admin, world.centre, expiry="end_of_next_year", warn_days=30)
    with time_machine.travel(datetime(2025, 6, 1, tzinfo=UTC), tick=False):
        credits.adjust(world.s1_manager, world.volunteer, 10, "2025 年表彰")
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        credits.adjust(world.s1_manager, world.volunteer, 4, "2026 年表彰")
        credits.adjust(world.s1_manager, world.volunteer, -3, "更正")
    db.session.commit()


def expiries():
    return db.session.scalars(sa.select(CreditTransaction).where(CreditTransaction.kind == TransactionKind.EXPIRE)
                              ).all()


def warnings(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == "credit_expiry")).all()


def test_warns_once_ahead_then_expires_the_oldest_first(app, world, history):
    assert credits.expire_and_warn(datetime(2026, 11, 20, tzinfo=UTC))["warned"] == 0  # more than 30 days ahead
    assert credits.expire_and_warn(datetime(2026, 12, 5, tzinfo=UTC))["warned"] == 1
    assert credits.expire_and_warn(datetime(2026, 12, 6, tzinfo=UTC))["warned"] == 0
    [warning] = warnings(world.volunteer)
    assert "7 " in warning.title and "7.0" not in warning.title and "2026年12月31日" in warning.title

    assert credits.expire_and_warn(NEW_YEAR_2027 - timedelta(seconds=1))["expired_credits"] == 0
    result = credits.expire_and_warn(NEW_YEAR_2027)
    db.session.commit()
    assert result["expired_wallets"] == 1 and result["expired_credits"] == 7
    assert credits.wallet_summary(world.volunteer)["balance"] == 4
    assert credits.expiry_account(world.centre.id).balance == 14  # 7 credits in half-credit units
    assert credits.expire_and_warn(NEW_YEAR_2027)["expired_wallets"] == 0
    assert len(expiries()) == 1 and credits.ledger_problems() == []
    # 2026's credits last until the end of 2027.
    assert credits.expire_and_warn(datetime(2027, 12, 31, 15, 59, tzinfo=UTC))["expired_wallets"] == 0
    assert credits.expire_and_warn(datetime(2027, 12, 31, 16, 0, tzinfo=UTC))["expired_credits"] == 4


def test_held_credits_expire_once_the_voucher_lets_go(app, world, history):
    wallet = credits.wallet(world.volunteer)
    credits.hold(wallet, 2 * 10)  # an open voucher holds 10 of the 11
    assert credits.expire_and_warn(NEW_YEAR_2027)["expired_credits"] == 1
    credits.release(wallet, 2 * 10)
    assert credits.expire_and_warn(NEW_YEAR_2027)["expired_credits"] == 6
    assert credits.wallet_summary(world.volunteer)["balance"] == 4 and credits.ledger_problems() == []


def test_no_policy_no_expiry(app, world, history):
    credits.set_policy(world.centre_admin, world.centre, expiry="none")
    assert credits.expire_and_warn(NEW_YEAR_2027) == {"expired_wallets": 0, "expired_credits": 0, "warned": 0}


def test_parallel_runs_expire_once(app, world, history):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite allows one writer; parallel jobs are a PostgreSQL deployment concern")

    def run(_i):
        with app.app_context():
            try:
                result = credits.expire_and_warn(NEW_YEAR_2027)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise

    outcomes = race(6, run)
    winners = [o for o in outcomes if o.error is None and o.value["expired_wallets"] == 1]
    late = [o for o in outcomes if o.error is None and o.value["expired_wallets"] == 0]
    # A loser either came after the winner (nothing left to expire) or lost the idempotency key's race.
    lost = [o for o in outcomes if o.error is not None]
    assert len(winners) == 1 and len(winners) + len(late) + len(lost) == 6
    assert all(isinstance(o.error, sa.exc.IntegrityError) and "credit_transactions" in str(o.error) for o in lost), \
        [repr(o.error) for o in lost]
    db.session.expire_all()
    assert len(expiries()) == 1
    assert credits.wallet_summary(world.volunteer)["balance"] == 4 and credits.ledger_problems() == []


def test_policy_is_for_centre_admins(app, world, api):
    with pytest.raises(Forbidden):
        credits.set_policy(world.s1_manager, world.centre, expiry="none")
    with pytest.raises(ValidationFailed):
        credits.set_policy(world.centre_admin, world.centre, expiry="monthly", warn_days=0)
    url = f"/api/v1/centres/{world.centre.id}/credit-policy"
    assert api(world.centre_admin).get(url).json == {"centre_id": world.centre.id, "expiry": "none", "warn_days": 30}
    saved = api(world.centre_admin).put(url, json={"expiry": "end_of_next_year", "warn_days": 14})
    assert saved.status_code == 200 and saved.json["warn_days"] == 14
    assert api(world.s1_manager).put(url, json={"expiry": "none"}).status_code == 403
