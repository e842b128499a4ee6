"""Imports every model so metadata (and Alembic autogenerate) sees the whole schema."""
from volunteer_hub.announcements.models import Announcement  # noqa: F401
from volunteer_hub.certificates.models import CentreSeal, Certificate  # noqa: F401
from volunteer_hub.checkin.models import Attendance, DayRating  # noqa: F401
from volunteer_hub.core import lengths  # noqa: F401  (text lengths guarded on every model)
from volunteer_hub.core.audit import AuditEntry  # noqa: F401
from volunteer_hub.credits.models import CreditAccount, CreditEntry, CreditPolicy, CreditTransaction  # noqa: F401
from volunteer_hub.events.models import (  # noqa: F401
    ActivityPhoto,
    ActivityRecord,
    ServiceDay,
    ServiceDayTemplate,
    SignUp,
)
from volunteer_hub.merchants.models import Merchant, Offer  # noqa: F401
from volunteer_hub.needs.models import Need, NeedEvent, NeedPhoto  # noqa: F401
from volunteer_hub.nodes.models import Node  # noqa: F401
from volunteer_hub.notifications.models import Notification, WebhookDelivery, WebhookEndpoint  # noqa: F401
from volunteer_hub.people.models import ApiToken, Grant, User, VolunteerProfile  # noqa: F401
from volunteer_hub.reports.models import WeeklyReport  # noqa: F401
from volunteer_hub.roster.models import RosterUpload  # noqa: F401
from volunteer_hub.scheduler.models import JobRun  # noqa: F401
from volunteer_hub.teams.models import Team, TeamMembership  # noqa: F401
from volunteer_hub.themes.models import Theme, ThemeNote  # noqa: F401
from volunteer_hub.vouchers.models import Voucher, VoucherAttempt  # noqa: F401
