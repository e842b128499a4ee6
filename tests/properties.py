"""What the property tests share: a fresh database for every Hypothesis example, a tally of which
operations really did something, and a real mint, through a service day's approval."""
from collections import Counter
from dataclasses import fields
from datetime import datetime, timedelta

from tests.snapshot import Snapshot
from tests.world import World
from volunteer_hub.checkin import services as checkin
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db


class PropertyRun:
    """Hypothesis runs one test many times on one set of fixtures: each example starts from the
    snapshot taken here, so no example sees what an earlier one left behind."""

    def __init__(self, world: World, *extra):
        # Ids, not objects: a rolled-back session leaves its objects expired and unreadable once detached.
        self.ids = [(type(obj), obj.id) for obj in (*(getattr(world, f.name) for f in fields(world)), *extra)]
        self.snapshot = Snapshot()
        self.tally = Counter()

    def fresh(self) -> tuple:
        """The world and the extra objects given at the start, as the snapshot has them."""
        self.snapshot.restore()
        objects = [db.session.get(model, id_) for model, id_ in self.ids]
        count = len(fields(World))
        return World(*objects[:count]), *objects[count:]

    def drop(self) -> None:
        self.snapshot.drop()

    def succeeded(self, kind: str) -> None:
        self.tally[kind] += 1

    def assert_each_succeeded(self, kinds) -> None:
        """Over the whole run, every kind of operation did something at least once: a run that only
        ever hit refusals proves nothing."""
        print(f"operations that did something: {dict(self.tally)}")
        missing = sorted(set(kinds) - set(self.tally))
        assert not missing, f"never succeeded over the run: {missing} (tally {dict(self.tally)})"


def earn(world: World, person, hours: int, at: datetime) -> None:
    """``hours`` approved hours for ``person`` at a one-credit-an-hour service day of S1 that ended at ``at``."""
    start = at - timedelta(hours=hours)
    day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="服务", starts_at=start,
                                    ends_at=at, capacity=10, now=start - timedelta(days=1))
    checkin.manual_entry(world.s1_manager, day, phone=person.phone, checked_in_at=start, checked_out_at=at,
                         reason="补录")
    [row] = checkin.approve(world.s1_manager, day, "all", now=at)
    assert row.user_id == person.id
