from datetime import timedelta

import pytest

from volunteer_hub.core.db import utcnow
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people


@pytest.fixture
def saturday(world):
    """A service day at S1 tomorrow 08:30-11:30 UTC+8 equivalent, geofenced, capacity 2."""
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    day = events.create_service_day(
        world.s1_manager, node_id=world.s1.id, title="周六环境美化日", team_ids=[world.team.id],
        starts_at=start, ends_at=start + timedelta(hours=3), capacity=2, lat=31.0, lon=120.0)
    db.session.commit()
    return day


@pytest.fixture
def volunteers(world):
    """Five more volunteers of S1."""
    made = [people.register_volunteer(name=f"志愿者{i}", phone=f"1360000010{i}", password=world.PASSWORD,
                                      home_station_id=world.s1.id) for i in range(5)]
    db.session.commit()
    return made
