from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from volunteer_hub.core.timefields import LocalDateTimeField


class NeedForm(FlaskForm):
    node_id = SelectField(_l("Community (station or point)"), coerce=int)
    category = SelectField(_l("What kind of help"))
    description = TextAreaField(_l("What do you need?"), validators=[Length(max=2000), DataRequired()])
    address = StringField(_l("Address"), validators=[Length(max=200), DataRequired()])
    wished_at = LocalDateTimeField(_l("When"), validators=[DataRequired()])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=20), DataRequired()],
                                render_kw={"inputmode": "tel"})
    photos = MultipleFileField(_l("Photos (optional, up to 3, PNG or JPEG, 5 MB each)"), validators=[Optional()])


class DispatchForm(FlaskForm):
    team_id = SelectField(_l("Team"), coerce=int)
    accept_by = LocalDateTimeField(_l("Accept by"), validators=[DataRequired()])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=200), DataRequired()])


class AcceptForm(FlaskForm):
    starts_at = LocalDateTimeField(_l("Service starts (default: the wished time)"), validators=[Optional()])
    hours = IntegerField(_l("Hours"), default=2, validators=[DataRequired()])
    capacity = IntegerField(_l("Volunteers needed"), default=10, validators=[DataRequired()])


class ReviewForm(FlaskForm):
    rating = SelectField(_l("Rating"), coerce=int, choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=1000), Optional()])
