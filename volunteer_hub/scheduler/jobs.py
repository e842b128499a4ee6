"""The scheduled jobs. Each takes ``now`` and does only what is due then, idempotently: a job run
twice, late, or by two schedulers at once changes nothing the second time."""
import importlib
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Job:
    id: str
    target: str  # "module:function"
    cron: dict = field(default_factory=dict)  # APScheduler cron fields, in the centre's time zone
    description: str = ""  # lazily translated: the jobs page shows it in the reader's language

    def function(self):
        module, name = self.target.split(":")
        return getattr(importlib.import_module(module), name)


JOBS = (
    Job("publish-themes", "volunteer_hub.themes.services:publish_due", {"minute": "*"},
        _l("Publish weekly themes whose time has come and tell volunteers")),
    Job("generate-service-days", "volunteer_hub.events.services:generate_from_templates", {"minute": "5"},
        _l("Create recurring service days ahead and link them to that week's theme")),
    Job("expire-vouchers", "volunteer_hub.vouchers.services:expire_due", {"minute": "*"},
        _l("Release the credits held by vouchers past their 10 minutes")),
    Job("close-checkins", "volunteer_hub.checkin.services:close_forgotten", {"minute": "*/10"},
        _l("Close check-ins left open after their service day")),
    Job("deliver-webhooks", "volunteer_hub.notifications.services:deliver_due", {"minute": "*", "second": "30"},
        _l("Send due webhook deliveries, retrying with back-off")),
    Job("expire-credits", "volunteer_hub.credits.services:expire_and_warn", {"hour": "1", "minute": "0"},
        _l("Expire credits past their centre's expiry date and warn volunteers ahead")),
    Job("escalate-needs", "volunteer_hub.needs.services:escalate_overdue", {"minute": "*/5"},
        _l("Escalate residents' requests not dispatched in 24 h or not accepted by the deadline")),
    Job("remind-volunteers", "volunteer_hub.announcements.services:send_reminders", {"minute": "*/10"},
        _l("Remind signed-up volunteers 24 hours and 2 hours before their service day")),
    Job("forget-scan-nonces", "volunteer_hub.checkin.services:forget_nonces", {"hour": "3", "minute": "0"},
        _l("Forget the nonces of scans made more than a week ago")),
    Job("tidy-uploads", "volunteer_hub.roster.imports:tidy_uploads", {"hour": "2", "minute": "30"},
        _l("Drop roster spreadsheets uploaded more than two days ago and never imported")),
    Job("weekly-report", "volunteer_hub.reports.services:generate_weekly",
        {"day_of_week": "mon", "hour": "6", "minute": "0"},
        _l("Rank each centre's stations for the past week (red and black lists) and tell managers")),
)

BY_ID = {job.id: job for job in JOBS}
