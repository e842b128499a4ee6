from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from volunteer_hub.core.timefields import LocalDateTimeField


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[Length(max=200), DataRequired()])


class ServiceDayForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=100), DataRequired()])
    node_id = SelectField(_l("Where"), coerce=int)
    team_ids = SelectMultipleField(_l("Teams"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000), Optional()])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired()])
    signup_deadline = LocalDateTimeField(
        _l("Sign-up deadline (optional)"), validators=[Optional()],
        description=_l("Empty: sign-ups close when the day starts, or when it ends for a day starting within the "
                       "hour. Volunteers check in only if they signed up, unless walk-ins are allowed below."))
    capacity = IntegerField(_l("Capacity"), validators=[DataRequired()], default=30,
                            description=_l("Beyond it volunteers join the waiting list and move up in order."))
    credits_per_hour = IntegerField(_l("Civility credits per approved hour"), validators=[Optional()],
                                    description=_l("Empty: the centre's usual rate."))
    address = StringField(_l("Address"), validators=[Length(max=200), Optional()])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lon = FloatField(_l("Longitude"), validators=[Optional()])
    checkin_radius_m = IntegerField(_l("Check-in radius (m)"), default=300, validators=[Optional()],
                                    description=_l("With a location, check-in only works this close; 0 turns it off."))
    allow_walk_ins = SelectField(
        _l("Volunteers who did not sign up may check in"), default="",
        choices=[("", _l("Automatic: yes when the day starts within the hour")), ("yes", _l("Yes")),
                 ("no", _l("No"))])
    cover = FileField(_l("Cover picture (optional)"), validators=[Optional()],
                      render_kw={"accept": "image/png,image/jpeg"},
                      description=_l("PNG or JPEG, shown on the day's card; a copied day keeps its cover."))
    remove_cover = BooleanField(_l("Remove the cover picture"))

    def walk_ins(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.allow_walk_ins.data)


WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")), (4, _l("Friday")),
            (5, _l("Saturday")), (6, _l("Sunday"))]


class TemplateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=100), DataRequired()])
    node_id = SelectField(_l("Where"), coerce=int)
    team_ids = SelectMultipleField(_l("Teams"), coerce=int, validators=[Optional()])
    weekday = SelectField(_l("Every"), coerce=int, choices=WEEKDAYS, default=5)
    start_time = TimeField(_l("From"), validators=[DataRequired()], default=time(8, 30))
    end_time = TimeField(_l("To"), validators=[DataRequired()], default=time(11, 30))
    capacity = IntegerField(_l("Capacity"), validators=[DataRequired()], default=30)
    credits_per_hour = IntegerField(_l("Civility credits per approved hour"), validators=[Optional()],
                                    description=_l("Empty: the centre's usual rate."))
    days_ahead = IntegerField(_l("Create this many days ahead"), default=14, validators=[DataRequired()])
    link_theme = BooleanField(_l("Link each to that week's theme"), default=True)
    address = StringField(_l("Address"), validators=[Length(max=200), Optional()])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lon = FloatField(_l("Longitude"), validators=[Optional()])


class ActivityRecordForm(FlaskForm):
    summary = TextAreaField(
        _l("What happened"), validators=[DataRequired(), Length(max=2000)],
        description=_l("A few sentences for the activity record: what was done, with whom, the result."))
    people_served = IntegerField(_l("People served"), validators=[NumberRange(min=0, max=1_000_000)], default=0)
    photos = MultipleFileField(_l("Add photos (PNG or JPEG, up to 9 in all)"), validators=[Optional()])
    remove_photo_ids = SelectMultipleField(_l("Remove these photos"), coerce=int, validate_choice=False)
