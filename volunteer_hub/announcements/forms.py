"""The announcement form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

AUDIENCE_CHOICES = [("team", _l("A team's members")), ("day", _l("A service day's sign-ups")),
                    ("node", _l("A station's volunteers"))]


class AnnouncementForm(FlaskForm):
    audience = SelectField(_l("Send to"), choices=AUDIENCE_CHOICES, render_kw={"data-decides": ""})
    team_id = SelectField(_l("Team"), coerce=int, validate_choice=False)
    day_id = SelectField(_l("Service day"), coerce=int, validate_choice=False)
    node_id = SelectField(_l("Station (or a node above: all its stations)"), coerce=int, validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=2000)],
                         description=_l("It goes to their inbox and, if the centre has one, through its WeChat or "
                                        "SMS gateway."))

    def target_id(self) -> int | None:
        return {"team": self.team_id, "day": self.day_id, "node": self.node_id}[self.audience.data].data
