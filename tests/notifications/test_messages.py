"""Inbox messages are read in the reader's language, with times in the local time zone: they keep their
catalogue entry and parameters; the stored text (for the webhook) is in the default language."""
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.test_pages import login
from volunteer_hub.extensions import db
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.models import Notification
from volunteer_hub.notifications.services import notify_users

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


def test_a_message_is_read_in_the_readers_language_and_local_time(app, world, api, client):
    starts = datetime(2026, 11, 21, 6, 16, tzinfo=UTC)  # 14:16 in Asia/Shanghai
    notify_users([world.volunteer.id], key="test:reminder", kind="reminder",
                 title=later("In two hours: %(title)s, %(time)s", title="周六环境美化日", time=starts),
                 body="东门广场")
    db.session.commit()
    stored = db.session.scalars(sa.select(Notification).where(Notification.key == "test:reminder")).one()
    assert stored.title.startswith("两小时后") and "T06:16" not in stored.title  # the webhook's text, in Chinese
    token = api(world.volunteer)
    english = token.get("/api/v1/me/notifications", headers={"Accept-Language": "en"}).json[0]
    chinese = token.get("/api/v1/me/notifications", headers={"Accept-Language": "zh-CN"}).json[0]
    assert english["title"].startswith("In two hours: 周六环境美化日") and "2:16" in english["title"]
    assert chinese["title"].startswith("两小时后") and "14:16" in chinese["title"]
    assert english["body"] == "东门广场"  # what a person wrote stays as written
    page = login(client, world.volunteer)
    page.post("/lang/en")
    assert "In two hours" in page.get("/inbox").get_data(as_text=True)
