import pytest

from volunteer_hub.events import services as events
from volunteer_hub.extensions import db


@pytest.fixture
def signed_up(saturday, world):
    """The volunteer, signed up for the Saturday day."""
    events.sign_up(world.volunteer, saturday)
    db.session.commit()
    return world.volunteer
