"""Exports for the county office: approved hours in the layout of the national 志愿服务信息系统's bulk
entry (name, ID type and number, phone, project, date, place, hours). Centre administrators only;
every export is audited, and ID numbers are decrypted for this one purpose."""
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.checkin.models import Attendance
from volunteer_hub.core import audit, crypto
from volunteer_hub.core.db import local_date, local_midnight, utcnow
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.core.permissions import require_centre_admin
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import in_subtree
from volunteer_hub.people.models import User, VolunteerProfile

NATIONAL_HEADER = ["姓名", "证件类型", "证件号码", "手机号", "服务项目", "服务日期", "服务地点", "服务时长（小时）"]
ID_CARD = "居民身份证"
LONGEST_PERIOD_DAYS = 366


def require_exporter(actor, centre: Node) -> None:
    require_centre_admin(actor, centre, _("Only the centre's administrators export hours with ID numbers."))


def period(start: date | None, end: date | None, now=None) -> tuple[date, date]:
    """The given days, by default last calendar month; at most a year, the end not before the start."""
    if start is None and end is None:
        first_of_month = local_date(now or utcnow()).replace(day=1)
        end = first_of_month - timedelta(days=1)
        start = end.replace(day=1)
    if start is None or end is None or end < start or (end - start).days >= LONGEST_PERIOD_DAYS:
        message = _("Give a start and an end day, the end not before the start, at most a year apart.")
        raise ValidationFailed(message, {"end": [message]})
    return start, end


def national_hours(actor, centre: Node, start: date, end: date) -> list[list]:
    """One row per approved attendance of the centre's service days in [start, end] (local days)."""
    require_exporter(actor, centre)
    rows = db.session.execute(
        sa.select(Attendance, User, VolunteerProfile, ServiceDay, Node)
        .join(User, User.id == Attendance.user_id)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .join(ServiceDay, ServiceDay.id == Attendance.service_day_id)
        .join(Node, Node.id == ServiceDay.node_id)
        .where(Attendance.counts, in_subtree(centre), ServiceDay.starts_at >= local_midnight(start),
               ServiceDay.starts_at < local_midnight(end + timedelta(days=1)))
        .order_by(ServiceDay.starts_at, User.name, Attendance.id)).all()
    table = []
    for attendance, user, profile, day, node in rows:
        id_number = crypto.decrypt(profile.id_number_encrypted) if profile.id_number_encrypted else ""
        table.append([user.name, ID_CARD if id_number else "", id_number, user.phone, day.title,
                      local_date(day.starts_at).isoformat(), day.address or node.name, round(attendance.hours, 2)])
    audit.record(actor, "export.national_hours", centre, start=start.isoformat(), end=end.isoformat(),
                 rows=len(table))
    return table
